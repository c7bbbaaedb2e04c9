import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileFilterPattern, FilterPatternError } from '../../src/logs/filter-pattern.js';

// Space-delimited patterns against every worked example of the user guide
// (current and earlier editions), the Apache log examples ("Count HTTP 404
// codes", "Extract fields from an Apache log") and the TestMetricFilter API
// reference, whose responses show the extracted values AWS reports.

const APACHE = [
  '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
  '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
  '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
];

const PROD = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';

const SERVICE = [
  'INFO 09/25/2014 12:00:00 GET /service/resource/67 1200',
  'INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310',
  'WARNING 09/25/2014 12:00:02 Invalid user request',
  'ERROR 09/25/2014 12:00:02 Failed to process request',
];

function matching(pattern: string, messages: readonly string[]): number[] {
  const p = compileFilterPattern(pattern);
  return messages.flatMap((m, i) => (p.matches(m) ? [i] : []));
}

/** The extracted values, read back through value() for the given names. */
function extracted(pattern: string, message: string, names: readonly string[]): Record<string, string | number | undefined> {
  const p = compileFilterPattern(pattern);
  assert.equal(p.matches(message), true, `${pattern} should match ${message}`);
  return Object.fromEntries(names.map((n) => [n, p.value(message, n)]));
}

function rejects(pattern: string, message: string | RegExp): void {
  assert.throws(
    () => compileFilterPattern(pattern),
    (err: unknown) => {
      assert.ok(err instanceof FilterPatternError, `${pattern}: ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

test('guide: the seven-field event, with regex, wildcard and OR conditions', () => {
  for (const pattern of [
    '[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]',
    '[..., request =*.html*, status_code = 4*, bytes]',
    '[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]',
  ]) {
    assert.deepEqual(matching(pattern, [PROD]), [0], pattern);
  }
  // ip uses "regex that matches IP address range 127.0.0.1 - 127.0.0.9".
  const ipRange = '[ip=%127\\.0\\.0\\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]';
  assert.deepEqual(matching(ipRange, [PROD.replace('127.0.0.1', '127.0.0.0'), PROD.replace('404', '500'), PROD.replace('index.html', 'a.gif')]), []);
  const orPattern = '[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]';
  assert.deepEqual(matching(orPattern, [PROD.replace(' 404 ', ' 410 '), PROD.replace(' 404 ', ' 403 ')]), [0]);
});

test('earlier guide: the values a seven-field pattern extracts', () => {
  assert.deepEqual(
    extracted('[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]', PROD, ['$bytes', '$status_code', '$request', '$timestamp', '$username', '$user', '$ip']),
    {
      $bytes: '1534',
      $status_code: '404',
      $request: 'GET /index.html HTTP/1.0',
      $timestamp: '10/Oct/2000:13:25:15 -0700',
      $username: 'frank',
      $user: 'Prod',
      $ip: '127.0.0.1',
    },
  );
  // Dimensions example: `[ip, server, username, timestamp, request, status_code, bytes > 1000]`, "server" : $server → "Prod".
  const dims = extracted('[ip, server, username, timestamp, request, status_code, bytes > 1000]', PROD, ['$server', '$bytes']);
  assert.deepEqual(dims, { $server: 'Prod', $bytes: '1534' });
});

test('guide: ordered terms w1, w2 over the four-line service log', () => {
  // "returns log events where the first word in the log events is ERROR"
  assert.deepEqual(matching('[w1=ERROR, w2]', SERVICE), [3]);
  // "… where the first word in the events is ERROR or WARNING"
  assert.deepEqual(matching('[w1=ERROR || w1=WARNING, w2]', SERVICE), [2, 3]);
  // "… where the first words aren't ERROR and WARNING"
  assert.deepEqual(matching('[w1!=ERROR && w1!=WARNING, w2]', SERVICE), [0, 1]);
  // "you must include a blank w2 indicator after the w1 term"
  assert.deepEqual(matching('[w1=ERROR]', SERVICE), []);
  const p = compileFilterPattern('[w1=ERROR, w2]');
  assert.equal(p.value(SERVICE[3]!, '$w2'), '09/25/2014 12:00:02 Failed to process request');
});

test('guide: top-level and child-level items of a resource URI, by regex', () => {
  assert.deepEqual(matching('[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]', SERVICE), [0]);
  assert.deepEqual(matching('[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]', SERVICE), [1]);
});

test('earlier guide: OR pattern matching in space-delimited filters', () => {
  const events = ['ERROR WARN message', 'ERROR message', 'WARN message'];
  // "[w1=ERROR, w2] matches pattern 2 because ERROR is the first word" — and, the last
  // field taking the rest of the line, pattern 1 as well.
  assert.ok(matching('[w1=ERROR, w2]', events).includes(1));
  assert.deepEqual(matching('[w1=ERROR, w2]', events), [0, 1]);
  // "[w1=ERROR || w1=WARN, w2] matches patterns 2 and 3"
  assert.deepEqual(matching('[w1=ERROR || w1=WARN, w2]', events).filter((i) => i > 0), [1, 2]);
  // Exact counts with three fields:
  assert.deepEqual(matching('[w1=ERROR, w2, w3]', events), [0]);
  // "[w1!=ERROR&&w1!=WARN, w2] matches lines containing both ERROR and WARN (pattern 1)" cannot
  // hold: the first word of pattern 1 is ERROR. It matches none of the three.
  assert.deepEqual(matching('[w1!=ERROR&&w1!=WARN, w2]', events), []);
});

test('earlier guide: ellipses and conditions on the three Apache lines', () => {
  const all = [0, 1, 2];
  const cases: [string, number[]][] = [
    ['[ip, user, username, timestamp, request, status_code, bytes]', all],
    ['[..., status_code, bytes]', all],
    ['[ip, user, ..., status_code, bytes]', all],
    ['[ip, user, ...]', all],
    ['[ip, user, username, timestamp, request, status_code, bytes > 1000]', all],
    ['[ip, user, username, timestamp, request, status_code, bytes > 5000]', [1]],
    ['[ip, user, username, timestamp, request, status_code = 200, bytes]', [0, 2]],
    ['[ip, user, username, timestamp, request, status_code = 4*, bytes]', []],
    ['[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]', []],
    ['[ip, user, username, timestamp, request = *gif*, status_code = 5*, bytes]', [1]],
    ['[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]', []],
    ['[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]', []],
  ];
  for (const [pattern, expected] of cases) assert.deepEqual(matching(pattern, APACHE), expected, pattern);
  const fourHundreds = [APACHE[0]!.replace(' 200 ', ' 404 '), APACHE[0]!.replace(' 200 ', ' 403 ')];
  assert.deepEqual(matching('[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]', fourHundreds), [0]);
  assert.deepEqual(matching('[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]', fourHundreds), [0, 1]);
});

test('earlier guide: `status_code = 4* && bytes > 1000` in one field is rejected, as AWS does', () => {
  // Printed in the guide until 2020; awsdocs/amazon-cloudwatch-logs-user-guide#21 reports
  // that AWS answers "Invalid filter pattern", and later editions dropped it.
  rejects('[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]', /must all name that field/);
  // The 2022 edition's `[w1=ERROR || W1=WARNING, w2]` (later corrected to w1) names two fields too.
  rejects('[w1=ERROR || W1=WARNING, w2]', /must all name that field/);
});

test('TestMetricFilter: all fields named', () => {
  const pattern = '[ip, identity, user_id, timestamp, request, status_code, size]';
  assert.deepEqual(matching(pattern, APACHE), [0, 1, 2]);
  const names = ['$status_code', '$identity', '$request', '$size', '$user_id', '$ip', '$timestamp'];
  assert.deepEqual(extracted(pattern, APACHE[1]!, names), {
    $status_code: '500',
    $identity: '-',
    $request: 'GET /apache_pb.gif HTTP/1.0',
    $size: '5324',
    $user_id: 'frank',
    $ip: '127.0.0.1',
    $timestamp: '10/Oct/2000:13:35:22 -0700',
  });
});

test('TestMetricFilter: [..., size] extracts $size and the positions the ellipsis covers', () => {
  assert.deepEqual(matching('[..., size]', APACHE), [0, 1, 2]);
  assert.deepEqual(extracted('[..., size]', APACHE[0]!, ['$size', '$6', '$4', '$5', '$2', '$3', '$1', '$8']), {
    $size: '1534',
    $6: '200',
    $4: '10/Oct/2000:13:25:15 -0700',
    $5: 'GET /apache_pb.gif HTTP/1.0',
    $2: '-',
    $3: 'frank',
    $1: '127.0.0.1',
    $8: undefined,
  });
});

test('TestMetricFilter: [] matches every event and extracts every position', () => {
  assert.deepEqual(matching('[]', [...APACHE, '', 'one']), [0, 1, 2, 3, 4]);
  assert.deepEqual(extracted('[]', APACHE[2]!, ['$7', '$6', '$4', '$5', '$2', '$3', '$1']), {
    $7: '4355',
    $6: '200',
    $4: '10/Oct/2000:13:50:35 -0700',
    $5: 'GET /apache_pb.gif HTTP/1.0',
    $2: '-',
    $3: 'frank',
    $1: '127.0.0.1',
  });
});

test('TestMetricFilter: [..., status_code=200, size] matches the successful requests', () => {
  assert.deepEqual(matching('[..., status_code=200, size]', APACHE), [0, 2]);
  assert.deepEqual(extracted('[..., status_code=200, size]', APACHE[2]!, ['$status_code', '$size', '$5']), { $status_code: '200', $size: '4355', $5: 'GET /apache_pb.gif HTTP/1.0' });
});

test('TestMetricFilter and earlier guide: 4XX for html pages, with a trailing unnamed field', () => {
  const events = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /about-us/index.html HTTP/1.0" 200 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 404 4355',
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /products/index.html HTTP/1.0" 400 1534',
  ];
  const pattern = '[..., request=*.html*, status_code=4*,]';
  assert.deepEqual(matching(pattern, events), [0, 3]);
  assert.deepEqual(extracted(pattern, events[3]!, ['$status_code', '$request', '$7', '$4', '$3', '$2', '$1']), {
    $status_code: '400',
    $request: 'GET /products/index.html HTTP/1.0',
    $7: '1534',
    $4: '10/Oct/2000:13:25:15 -0700',
    $3: 'frank',
    $2: '-',
    $1: '127.0.0.1',
  });
});

test('Count HTTP 404 codes and Extract fields from an Apache log', () => {
  assert.deepEqual(matching('[IP, UserInfo, User, Timestamp, RequestInfo, StatusCode=404, Bytes]', ['127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326']), [0]);
  const posted = [
    '127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326',
    '127.0.0.1 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb2.gif HTTP/1.0" 200 2326',
  ];
  assert.deepEqual(matching('[ip, id, user, timestamp, request, status_code=404, size]', posted), [0]);
  const access = [
    '127.0.0.1 - - [24/Sep/2013:11:49:52 -0700] "GET /index.html HTTP/1.1" 404 287',
    '127.0.0.1 - - [24/Sep/2013:11:49:52 -0700] "GET /index.html HTTP/1.1" 404 287',
    '127.0.0.1 - - [24/Sep/2013:11:50:51 -0700] "GET /~test/ HTTP/1.1" 200 3',
    '127.0.0.1 - - [24/Sep/2013:11:50:51 -0700] "GET /favicon.ico HTTP/1.1" 404 308',
    '127.0.0.1 - - [24/Sep/2013:11:50:51 -0700] "GET /favicon.ico HTTP/1.1" 404 308',
    '127.0.0.1 - - [24/Sep/2013:11:51:34 -0700] "GET /~test/index.html HTTP/1.1" 200 3',
  ];
  const p = compileFilterPattern('[ip, id, user, timestamp, request, status_code, size]');
  // metricValue $size, or "the value of the seventh matched token … $7".
  assert.deepEqual(access.map((m) => p.value(m, '$size')), ['287', '287', '3', '308', '308', '3']);
  assert.deepEqual(access.map((m) => p.value(m, '$7')), ['287', '287', '3', '308', '308', '3']);
});

test('Lambda REPORT lines: tabs and runs of whitespace delimit fields', () => {
  const report = 'REPORT RequestId: 3604209a-e9a3-11e6-939a-754dd98c7be3\tDuration: 12.34 ms\tBilled Duration: 100 ms \tMemory Size: 128 MB\tMax Memory Used: 18 MB';
  const pattern =
    '[report_name="REPORT", request_id_name="RequestId:", request_id_value, duration_name="Duration:", duration_value, duration_unit="ms", billed_duration_name_1="Billed", bill_duration_name_2="Duration:", billed_duration_value, billed_duration_unit="ms", memory_size_name_1="Memory", memory_size_name_2="Size:", memory_size_value, memory_size_unit="MB", max_memory_used_name_1="Max", max_memory_used_name_2="Memory", max_memory_used_name_3="Used:", max_memory_used_value, max_memory_used_unit="MB"]';
  const p = compileFilterPattern(pattern);
  assert.equal(p.matches(report), true);
  assert.equal(p.value(report, '$duration_value'), '12.34');
  assert.equal(p.value(report, '$max_memory_used_value'), '18');
  assert.deepEqual([...p.required].sort(), ['Billed', 'Duration:', 'MB', 'Max', 'Memory', 'REPORT', 'RequestId:', 'Size:', 'Used:', 'ms'].sort());
});

test('fields: quotes and brackets group, delimiters are dropped, numbers compare as numbers', () => {
  const p = compileFilterPattern('[a, b, c]');
  assert.equal(p.value('x "y z" [w v]', '$b'), 'y z');
  assert.equal(p.value('x "y z" [w v]', '$c'), 'w v');
  assert.equal(p.value('  x\t\ty   z ', '$c'), 'z');
  assert.equal(p.value('x y "unclosed quote', '$c'), 'unclosed quote');
  assert.equal(p.value('x y', '$c'), undefined, 'too few fields: no match');
  assert.equal(compileFilterPattern('[a, b = 200]').matches('x 200.0'), true);
  assert.equal(compileFilterPattern('[a, b = "200"]').matches('x 200.0'), false);
  assert.equal(compileFilterPattern('[a, b > 1e3]').matches('x 1001'), true);
  assert.equal(compileFilterPattern('[a, b > 1e3]').matches('x -'), false);
  assert.equal(compileFilterPattern('[a, b != 0]').matches('x -'), true);
  assert.equal(compileFilterPattern('[a="x y", b]').matches('"x y" z'), true);
  assert.equal(compileFilterPattern('[..., b = 2, ...]').matches('1 2 3'), true);
  assert.equal(compileFilterPattern('[..., b = 2, ...]').matches('1 3 3'), false);
  assert.equal(compileFilterPattern('[..., b = 2, ..., d = 4]').value('1 2 3 4 4', '$b'), '2');
});

test('a bracketed word is a one-field space-delimited pattern, not a term', () => {
  // Which is why the TestMetricFilter example quotes it: `"[ERROR]"`.
  const p = compileFilterPattern('[ERROR]');
  assert.equal(p.matches('02 May 2014 00:34:12,525 [INFO] Starting the application'), true);
  assert.equal(p.value('a b c', '$ERROR'), 'a b c');
  assert.equal(compileFilterPattern('"[ERROR]"').matches('02 May 2014 00:34:12,525 [INFO] Starting the application'), false);
});

test('space-delimited grammar errors', () => {
  rejects('[time, level=ERROR, msg', "If a filter pattern starts with '[' it must end with ']'");
  rejects('[a, b@c]', "Invalid character(s) in term '@'");
  rejects('[a, =1]', "Invalid character(s) in term '='");
  rejects('[a = ]', /value is missing/);
  rejects('[a > big]', /needs a number/);
  rejects('[a = user@example.com]', "Invalid character(s) in term '@'");
  rejects('[a=%x%, b=%y%, c=%z%]', /at most 2 regular expressions/);
  assert.ok(compileFilterPattern('[a=%x%, b=%y%, c]'));
});

test('required: literal values every match contains, nothing from numbers or !=', () => {
  assert.deepEqual(compileFilterPattern('[ip, user, username, timestamp, request =*.html*, status_code = 4*, bytes]').required, ['.html', '4']);
  assert.deepEqual(compileFilterPattern('[a, b = 200, c != x, d > 5]').required, []);
  assert.deepEqual(compileFilterPattern('[w1=ERROR || w1=WARNING, w2]').required, []);
  assert.deepEqual(compileFilterPattern('[w1=*ERR* || w1=ERROR, w2]').required, [], 'OR keeps only literals common to both sides');
  assert.deepEqual(compileFilterPattern('[w1=ERROR || w1=ERROR, w2]').required, ['ERROR']);
  assert.deepEqual(compileFilterPattern('[url=%/service/resource/[0-9]+$%, rest]').required, ['/service/resource/']);
});

// ---- properties ----------------------------------------------------------------

const token = fc.string({ unit: fc.constantFrom(...'abc019-_./:'), minLength: 1, maxLength: 5 });

test('property: n named fields take one word each, the last the rest of the line', () => {
  fc.assert(
    fc.property(fc.array(token, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 8 }), (words, n) => {
      const p = compileFilterPattern(`[${Array.from({ length: n }, (_, k) => `f${k}`).join(', ')}]`);
      const m = words.join(' ');
      assert.equal(p.matches(m), words.length >= n);
      if (words.length < n) return;
      for (let k = 0; k < n - 1; k++) assert.equal(p.value(m, `$f${k}`), words[k]);
      assert.equal(p.value(m, `$f${n - 1}`), words.slice(n - 1).join(' '));
    }),
  );
});

test('property: [..., last] always names the last word; [first, ...] the first', () => {
  fc.assert(
    fc.property(fc.array(token, { minLength: 1, maxLength: 8 }), (words) => {
      const m = words.join('  ');
      assert.equal(compileFilterPattern('[..., last]').value(m, '$last'), words[words.length - 1]);
      assert.equal(compileFilterPattern('[first, ...]').value(m, '$first'), words[0]);
    }),
  );
});

test('property: a field condition = w matches iff that field is w; != negates', () => {
  fc.assert(
    fc.property(fc.array(token, { minLength: 3, maxLength: 6 }), token, (words, w) => {
      const m = words.join(' ');
      const eq = compileFilterPattern(`[a, b = "${w}", ...]`);
      const ne = compileFilterPattern(`[a, b != "${w}", ...]`);
      assert.equal(eq.matches(m), words[1] === w);
      assert.equal(ne.matches(m), words[1] !== w);
      if (eq.matches(m)) for (const r of eq.required) assert.ok(m.includes(r));
    }),
  );
});
