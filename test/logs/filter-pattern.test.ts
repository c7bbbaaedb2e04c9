import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileFilterPattern, FilterPatternError, type FilterPattern } from '../../src/logs/filter-pattern.js';
import { compileRegex } from '../../src/logs/filter-pattern-regex.js';

// Unstructured patterns (terms, phrases, ?OR, -exclusions), the %regex%
// dialect, and the errors — every worked example of the CloudWatch Logs user
// guide's "Filter pattern syntax" page (current and earlier editions) and of
// the TestMetricFilter API reference, with the documented matches and
// non-matches.

interface Case {
  readonly pattern: string;
  readonly matches: readonly string[];
  readonly rejects: readonly string[];
  readonly source: string;
}

function check(cases: readonly Case[]): void {
  for (const c of cases) {
    const p = compileFilterPattern(c.pattern);
    for (const m of c.matches) assert.equal(p.matches(m), true, `${c.source}: ${c.pattern} should match ${JSON.stringify(m)}`);
    for (const m of c.rejects) assert.equal(p.matches(m), false, `${c.source}: ${c.pattern} should not match ${JSON.stringify(m)}`);
    // `required` is never a substring a matching message lacks.
    for (const m of c.matches) for (const r of p.required) assert.ok(m.includes(r), `${c.pattern}: required ${JSON.stringify(r)} missing from a match`);
  }
}

function rejects(pattern: string, message: string | RegExp): void {
  assert.throws(
    () => compileFilterPattern(pattern),
    (err: unknown) => {
      assert.ok(err instanceof FilterPatternError, `${pattern}: ${String(err)}`);
      if (typeof message === 'string') assert.equal(err.message, message, pattern);
      else assert.match(err.message, message, pattern);
      return true;
    },
  );
}

// ---- unstructured: the current guide ----------------------------------------

const BAD_REQUEST = '[ERROR 400] BAD REQUEST';
const UNAUTHORIZED = '[ERROR 401] UNAUTHORIZED REQUEST';
const MISSING = '[ERROR 419] MISSING ARGUMENTS';
const INVALID = '[ERROR 420] INVALID ARGUMENTS';

test('guide, unstructured log events: single, multiple, optional and excluded terms, phrases, everything', () => {
  const source = 'Using filter patterns to match terms in unstructured log events';
  check([
    { source, pattern: 'ERROR', matches: [BAD_REQUEST, UNAUTHORIZED, MISSING, INVALID], rejects: ['[error 400] bad request', 'Error: entity not found!'] },
    { source, pattern: 'ERROR ARGUMENTS', matches: [MISSING, INVALID], rejects: [BAD_REQUEST, UNAUTHORIZED] },
    { source, pattern: '?ERROR ?ARGUMENTS', matches: [BAD_REQUEST, UNAUTHORIZED, MISSING, INVALID], rejects: ['[INFO] all good'] },
    // "If you combine "?" with other filter patterns, all question mark terms will be ignored."
    {
      source,
      pattern: '?ERROR ?ARGUMENTS REQUEST',
      matches: ['[INFO] REQUEST FAILED', '[WARN] UNAUTHORIZED REQUEST', '[ERROR] 400 BAD REQUEST'],
      rejects: [MISSING, INVALID],
    },
    { source, pattern: '"INTERNAL SERVER ERROR"', matches: ['[ERROR 500] INTERNAL SERVER ERROR'], rejects: ['[ERROR 500] INTERNAL ERROR SERVER', 'INTERNAL  SERVER ERROR'] },
    { source, pattern: 'ERROR -ARGUMENTS', matches: [BAD_REQUEST, UNAUTHORIZED], rejects: [MISSING, INVALID] },
    { source, pattern: '" "', matches: [BAD_REQUEST, 'nospace', ''], rejects: [] },
  ]);
});

test('guide, regex section: %AUTHORIZED% finds the keyword inside words too', () => {
  check([
    {
      source: 'Using filter patterns to match terms with a regular expression (regex)',
      pattern: '%AUTHORIZED%',
      matches: ['[ERROR 401] UNAUTHORIZED REQUEST', '[SUCCESS 200] AUTHORIZED REQUEST'],
      rejects: ['[SUCCESS 200] authorized request'],
    },
  ]);
});

// ---- unstructured: earlier editions -----------------------------------------
// Those editions wrote patterns inside quotes ('The filter pattern "ERROR
// Exception" matches … both terms'); awsdocs/amazon-cloudwatch-logs-user-guide
// PR #31 confirmed the quotes were the prose's, so the patterns are unquoted here.

test('earlier guide: match everything, single term, include/exclude, multiple terms', () => {
  const source = 'Filter and Pattern Syntax (2019–2022): Matching Terms in Log Events';
  check([
    { source, pattern: '', matches: ['anything', '', '{"a":1}'], rejects: [] },
    { source, pattern: 'ERROR', matches: ['[ERROR] A fatal exception has occurred', 'Exiting with ERRORCODE: -1'], rejects: [] },
    { source, pattern: 'ERROR -Exiting', matches: ['[ERROR] A fatal exception has occurred'], rejects: ['Exiting with ERRORCODE: -1'] },
    // As printed: `"ERROR" - "Exiting"`, the minus apart from its term.
    { source, pattern: '"ERROR" - "Exiting"', matches: ['[ERROR] A fatal exception has occurred'], rejects: ['Exiting with ERRORCODE: -1'] },
    { source, pattern: 'ERROR Exception', matches: ['[ERROR] Caught IllegalArgumentException', '[ERROR] Unhandled Exception'], rejects: ['[ERROR] Unhandled exception'] },
    {
      source,
      pattern: 'Failed to process the request',
      matches: ['[WARN] Failed to process the request', '[ERROR] Unable to continue: Failed to process the request'],
      rejects: ['[WARN] Failed to process'],
    },
  ]);
});

test('earlier guide, OR pattern matching over three events', () => {
  const source = 'Filter and Pattern Syntax: OR Pattern Matching';
  const [one, two, three] = ['ERROR WARN message', 'ERROR message', 'WARN message'];
  check([
    { source, pattern: 'ERROR', matches: [one, two], rejects: [three] },
    { source, pattern: '?ERROR ?WARN', matches: [one, two, three], rejects: ['INFO message'] },
    { source, pattern: 'ERROR WARN', matches: [one], rejects: [two, three] },
    { source, pattern: 'ERROR -WARN', matches: [two], rejects: [one, three] },
  ]);
});

// ---- TestMetricFilter API reference ------------------------------------------

test('TestMetricFilter examples: "[ERROR]" and "[ERROR]" Exception', () => {
  const events = [
    '02 May 2014 00:34:12,525 [INFO] Starting the application',
    '02 May 2014 00:35:14,245 [DEBUG] Database connection established',
    '02 May 2014 00:34:14,663 [INFO] Executing SQL Query',
    '02 May 2014 00:34:16,142 [ERROR] Unhanded exception: InvalidQueryException',
    '02 May 2014 00:34:16,224 [ERROR] Terminating the application',
  ];
  const source = 'TestMetricFilter, API reference';
  check([
    { source, pattern: '"[ERROR]"', matches: [events[3]!, events[4]!], rejects: events.slice(0, 3) },
    { source, pattern: '"[ERROR]" Exception', matches: [events[3]!], rejects: [...events.slice(0, 3), events[4]!] },
  ]);
  const p = compileFilterPattern('"[ERROR]" Exception');
  assert.deepEqual([...p.required].sort(), ['Exception', '[ERROR]']);
  assert.equal(p.value(events[3]!, '$1'), undefined, 'terms extract nothing');
});

test('API reference examples: StartLiveTail and Lightsail GetContainerLog', () => {
  check([
    // StartLiveTail logEventFilterPattern: "error 404 displays only log events that include both error and 404".
    { source: 'StartLiveTail', pattern: 'error 404', matches: ['error 404 not found', 'GET /x 404 error'], rejects: ['error 500', 'ERROR 404'] },
    // GetContainerLog filterPattern (the same syntax): "", "-ERROR", "ERROR", "ERROR Exception", "?ERROR ?Exception".
    { source: 'GetContainerLog', pattern: '', matches: ['anything'], rejects: [] },
    { source: 'GetContainerLog', pattern: '-ERROR', matches: ['all fine', 'error lowercase'], rejects: ['an ERROR here'] },
    { source: 'GetContainerLog', pattern: 'ERROR', matches: ['an ERROR here'], rejects: ['all fine'] },
    { source: 'GetContainerLog', pattern: 'ERROR Exception', matches: ['ERROR: NullPointerException'], rejects: ['ERROR only', 'Exception only'] },
    { source: 'GetContainerLog', pattern: '?ERROR ?Exception', matches: ['ERROR only', 'Exception only'], rejects: ['neither'] },
  ]);
});

// ---- regex: every operator example of "Supported regular expressions" --------

test('guide, supported regex operators', () => {
  const source = 'Supported regular expressions (regex) syntax';
  check([
    { source, pattern: '%^[hc]at%', matches: ['hat', 'cat', 'hat trick'], rejects: ['that', 'a cat', 'bat'] },
    { source, pattern: '%[hc]at$%', matches: ['hat', 'cat', 'the cat'], rejects: ['cats', 'hat trick'] },
    { source, pattern: '%colou?r%', matches: ['color', 'colour'], rejects: ['colouur', 'colr'] },
    { source, pattern: '%[abc]%', matches: ['a', 'b', 'c'], rejects: ['d', 'xyz'] },
    { source, pattern: '%[a-z]%', matches: ['a', 'm', 'z'], rejects: ['A', '7', ' '] },
    { source, pattern: '%[abcx-z]%', matches: ['a', 'b', 'c', 'x', 'y', 'z'], rejects: ['d', 'w'] },
    { source, pattern: '%a{3,5}%', matches: ['aaa', 'aaaa', 'aaaaa'], rejects: ['a', 'aa', 'a a a'] },
    { source, pattern: '%^a{,2}b%', matches: ['b', 'ab', 'aab'], rejects: ['aaab'] }, // "Either m or n can be omitted"
    { source, pattern: '%^a{2,}$%', matches: ['aa', 'aaaaaaa'], rejects: ['a'] },
    { source, pattern: '%gra|ey%', matches: ['gray', 'grey'], rejects: ['gry'] },
    {
      source,
      pattern: '%^starting|^initializing|^shutting down%',
      matches: ['starting ...', 'initializing ...', 'shutting down'],
      rejects: ['skipping initializing ...'],
    },
    // Printed without its closing '%' (`%abcc|ab[^c]$`), which is no pattern at all; see below.
    { source, pattern: '%abcc|ab[^c]$%', matches: ['abcc ...', 'aba'], rejects: ['aac ...'] },
    { source, pattern: '%\\[.\\]%', matches: ['[a]', '[b]', '[7]', '[@]', '[]]', '[ ]'], rejects: ['[]', '[ab]'] },
    { source, pattern: '%10\\.10\\.0\\.1%', matches: ['10.10.0.1'], rejects: ['10010,051'] },
    { source, pattern: '%10.10.0.1%', matches: ['10.10.0.1', '10010,051'], rejects: ['10.10.0'] },
    { source, pattern: '%ab*c%', matches: ['ac', 'abc', 'abbbc'], rejects: ['adc'] },
    { source, pattern: '%ab[0-9]*%', matches: ['ab', 'ab0', 'ab129'], rejects: ['a', 'ba'] },
    { source, pattern: '%ab+c%', matches: ['abc', 'abbc', 'abbbc'], rejects: ['ac'] },
    { source, pattern: '%.at%', matches: ['hat', 'cat', 'bat', '4at', '#at', ' at'], rejects: ['at', 'a t'] },
    { source, pattern: '%\\d%', matches: ['port 80'], rejects: ['no digits'] },
    { source, pattern: '%\\D%', matches: ['port 80'], rejects: ['8080'] },
    { source, pattern: '%\\s%', matches: ['a b', 'a\tb', 'a\nb'], rejects: ['ab'] },
    { source, pattern: '%\\S%', matches: [' x '], rejects: [' \t\n'] },
    { source, pattern: '%\\w%', matches: ['_', 'a', '9'], rejects: ['!@#', ' '] },
    { source, pattern: '%\\W%', matches: ['a-b', ' '], rejects: ['abc_123'] },
    { source, pattern: '%\\x3A%', matches: ['key:value'], rejects: ['key=value'] },
    { source, pattern: '%\\x28%', matches: ['f(x)'], rejects: ['f[x]'] },
    { source, pattern: '%\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}%', matches: ['from 192.168.0.1 port', '10.0.0.255'], rejects: ['192.168.0', 'a.b.c.d'] },
    { source, pattern: '%[Ee]rror|[Ff]ail%', matches: ['Error', 'error', 'Fail', 'fail', 'it failed'], rejects: ['ERROR', 'FAIL', 'ok'] },
  ]);
});

test('the documented \\d \\D \\w \\W equivalences hold for any text', () => {
  const pairs = [
    ['%\\d%', '%[0-9]%'],
    ['%\\D%', '%[^0-9]%'],
    ['%\\w%', '%[a-zA-Z_0-9]%'],
    ['%\\W%', '%[^a-zA-Z_0-9]%'],
  ] as const;
  for (const [a, b] of pairs) {
    const pa = compileFilterPattern(a);
    const pb = compileFilterPattern(b);
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 12 }), (s) => pa.matches(s) === pb.matches(s)));
  }
});

test('regex: a patterns AWS accepts in production; spaces and ":" are fine', () => {
  // aws/aws-cdk#36901: a metric filter in service for months.
  const p = compileFilterPattern('%Task timed out after|^REPORT\\s.+\\sStatus: timeout%');
  assert.equal(p.matches('2024-01-01T00:00:00Z abc Task timed out after 3.00 seconds'), true);
  assert.equal(p.matches('REPORT RequestId: abc\tDuration: 3000 ms\tStatus: timeout'), true);
  assert.equal(p.matches('REPORT RequestId: abc\tDuration: 3 ms'), false);
  assert.deepEqual(p.required, [], 'alternation: no substring is certain');
});

test('regex restrictions are enforced with AWS messages', () => {
  rejects('%something!%', "Invalid character(s) in term '!'"); // the guide's own example
  rejects('%(alpha|beta)%', "Invalid character(s) in term '('"); // "The ( and ) operators are not supported"
  rejects('%\\(ab\\)%', "Invalid character(s) in term '('");
  rejects('%マルチバイト%', "Invalid character(s) in term 'マルチバイト'"); // "Multi-byte characters are not supported"
  rejects('%café%', "Invalid character(s) in term 'é'");
  rejects('%"quoted"%', `Invalid character(s) in term '"'`);
  rejects('%%', /cannot be empty/);
  rejects('%[abc%', /'\[' without '\]'/);
  rejects('%*abc%', /nothing to repeat/);
  rejects('%a**%', /nothing to repeat/);
  rejects('%^*%', /cannot repeat an anchor/);
  rejects('%a{5,3}%', /bounds reversed/);
  rejects('%a{x}%', /not a repetition/);
  rejects('%[z-a]%', /Range out of order/);
  rejects('%\\p{L}%', /not a supported escape/);
  rejects('%\\x4%', /two hexadecimal digits/);
  // Printed in the guide without its closing '%': not a regex, and '%' is no term character.
  rejects('%abcc|ab[^c]$', "Invalid character(s) in term '%'");
  rejects('%a% %b%', "Invalid character(s) in term '%'");
});

test('regex escapes reach every documented character', () => {
  const cases: [string, string, boolean][] = [
    ['%a\\-b%', 'a-b', true],
    ['%\\\\%', 'back\\slash', true],
    ['%\\.%', 'x', false],
    ['%\\$%', 'cost $5', true],
    ['%[\\]]%', ']', true],
    ['%[a\\-z]%', 'b', false],
    ['%[a\\-z]%', '-', true],
    ['%[\\x41-\\x43]%', 'B', true],
    ['%[\\x41-\\x43]%', 'D', false],
    ['%\\t%', 'a\tb', true],
    ['%\\bcat\\b%', 'a cat here', true],
    ['%\\bcat\\b%', 'concatenate', false],
  ];
  for (const [pattern, message, expected] of cases) assert.equal(compileFilterPattern(pattern).matches(message), expected, `${pattern} vs ${message}`);
});

test('the regex literal prefilter: the longest run of certain characters', () => {
  const lit = (body: string) => compileRegex(body).literal;
  assert.equal(lit('AUTHORIZED'), 'AUTHORIZED');
  assert.equal(lit('colou?r'), 'colo');
  assert.equal(lit('ab+c'), 'ab');
  assert.equal(lit('x[0-9]+/part/[0-9]+$'), '/part/');
  assert.equal(lit('10\\.10\\.0\\.1'), '10.10.0.1');
  assert.equal(lit('a{3}b'), 'aaab');
  assert.equal(lit('gra|ey'), '');
  assert.equal(lit('\\d+'), '');
});

test('property: whatever a generated regex matches contains its literal', () => {
  const atom = fc.constantFrom('a', 'b', 'c', '.', '[ab]', '[^a]', '\\d', '1', '\\.', '^', '$');
  const quant = fc.constantFrom('', '', '', '?', '*', '+', '{2}', '{1,2}', '{,2}', '{2,}');
  const branch = fc.array(fc.tuple(atom, quant), { minLength: 1, maxLength: 6 }).map((items) =>
    items.map(([a, q]) => (a === '^' || a === '$' ? a : a + q)).join(''),
  );
  const body = fc.array(branch, { minLength: 1, maxLength: 2 }).map((bs) => bs.join('|'));
  fc.assert(
    fc.property(body, fc.string({ unit: fc.constantFrom('a', 'b', 'c', '1', '.', 'x'), maxLength: 10 }), (b, s) => {
      const r = compileRegex(b);
      if (r.re.test(s)) assert.ok(s.includes(r.literal), `${b} matched ${s} without ${r.literal}`);
    }),
  );
});

// ---- errors with AWS's wording ---------------------------------------------

test('invalid terms answer "Invalid character(s) in term" as AWS does', () => {
  // Each message is one AWS returned (InvalidParameterException), as reported publicly.
  rejects('PlayerSpawnedInWorld (reason: JoinMultiplayer', "Invalid character(s) in term '('");
  rejects('?Status: timeout', "Invalid character(s) in term ':'");
  rejects('level\\":\\"error', "Invalid character(s) in term '\\'");
  rejects('`ERROR', "Invalid character(s) in term '`'");
  rejects('""', `Invalid character(s) in term '""'`);
  rejects('email@someemail.com', "Invalid character(s) in term '@'");
  rejects('ERROR "unterminated', /closing '"'/);
  rejects('ERROR -', /'-' must be followed by a term/);
  rejects('--ERROR', "Invalid character(s) in term '--'");
});

test('patterns opened with { or [ must be closed, in AWS words', () => {
  rejects('{$.kubernetes.namespace_name="abc" && $.kubernetes.container_name="def"', "If a filter pattern starts with '{' it must end with '}'");
  rejects('[time, level=ERROR, msg', "If a filter pattern starts with '[' it must end with ']'");
});

test('quoted terms: escapes, exact text, case', () => {
  const cases: [string, string, boolean][] = [
    ['"say \\"hi\\""', 'they say "hi" twice', true],
    ['"say \\"hi\\""', 'they say hi', false],
    ['"C:\\\\temp"', 'path C:\\temp', true],
    ['"user@example.com"', 'login user@example.com ok', true],
    ['"GET /index.html"', '"GET /index.html HTTP/1.0" 200', true],
    ['"level\\\\\\":\\\\\\"error"', '{"log":"{\\"level\\":\\"error\\"}"}', true], // Docker's double-encoded JSON, escaped twice
    ['?"clean up" ?xyz', 'map clean up', true],
    ['?"clean up" ?xyz', 'map is cleaned up', false],
    ['?"clean up" ?xyz', 'xyz will do clean up', true],
    ['"ERROR][grpc"', '2025-03-28 [ERROR][grpc] failed', true],
    ['"ERROR][grpc"', '[ERROR] [grpc]', false],
  ];
  for (const [pattern, message, expected] of cases) assert.equal(compileFilterPattern(pattern).matches(message), expected, `${pattern} vs ${message}`);
});

test('a minus or question mark inside a word starts a new term', () => {
  // `request-id-123` is `request -id -123`: messages holding the id are excluded.
  const p = compileFilterPattern('request-id-123');
  assert.equal(p.matches('request-id-123 done'), false);
  assert.equal(p.matches('request ok'), true);
  assert.equal(compileFilterPattern('"request-id-123"').matches('request-id-123 done'), true);
});

test('required lists only certain substrings', () => {
  assert.deepEqual(compileFilterPattern('ERROR ARGUMENTS').required.length, 2);
  assert.deepEqual(compileFilterPattern('?ERROR ?ARGUMENTS').required, []);
  assert.deepEqual(compileFilterPattern('?ERROR').required, ['ERROR']);
  assert.deepEqual(compileFilterPattern('-ERROR').required, []);
  assert.deepEqual(compileFilterPattern('ERROR -x ?y').required, ['ERROR']);
  assert.deepEqual(compileFilterPattern('').required, []);
  assert.deepEqual(compileFilterPattern('" "').required, []);
  assert.deepEqual(compileFilterPattern('%colou?r%').required, ['colo']);
  assert.equal(compileFilterPattern('  ERROR ').source, '  ERROR ');
});

// ---- properties ------------------------------------------------------------

const word = fc.string({ unit: fc.constantFrom(...'abcXYZ019_'), minLength: 1, maxLength: 4 });
const message = fc.string({ unit: fc.constantFrom(...'abcXYZ019_ -:"[]'), maxLength: 24 });
const phrase = fc.string({ unit: fc.constantFrom(...'ab c"\\-[]:.!@é'), minLength: 1, maxLength: 6 }).filter((s) => s.trim() !== '');
const quote = (s: string) => `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;

test('property: a term matches iff the message contains it; -term negates', () => {
  fc.assert(
    fc.property(word, message, (t, m) => {
      assert.equal(compileFilterPattern(t).matches(m), m.includes(t));
      assert.equal(compileFilterPattern(`-${t}`).matches(m), !m.includes(t));
    }),
  );
});

test('property: a quoted phrase matches iff the message contains it, whatever it holds', () => {
  const messages = fc.string({ unit: fc.constantFrom(...'ab c"\\-[]:.!@é'), maxLength: 16 });
  fc.assert(fc.property(phrase, messages, (ph, m) => assert.equal(compileFilterPattern(quote(ph)).matches(m), m.includes(ph))));
  fc.assert(fc.property(phrase, messages, (ph, m) => assert.equal(compileFilterPattern(quote(ph)).matches(m + ph + m), true)));
});

test('property: plain terms AND, ?terms alone OR, ?terms beside others are ignored', () => {
  fc.assert(
    fc.property(fc.array(word, { minLength: 1, maxLength: 4 }), fc.array(word, { minLength: 1, maxLength: 3 }), message, (all, any, m) => {
      assert.equal(compileFilterPattern(all.join(' ')).matches(m), all.every((t) => m.includes(t)));
      assert.equal(compileFilterPattern(any.map((t) => `?${t}`).join(' ')).matches(m), any.some((t) => m.includes(t)));
      const mixed = compileFilterPattern([...any.map((t) => `?${t}`), ...all].join(' '));
      assert.equal(mixed.matches(m), all.every((t) => m.includes(t)));
    }),
  );
});

test('property: a match contains every required substring (terms, phrases, regex)', () => {
  const piece = fc.oneof(
    word,
    word.map((w) => `-${w}`),
    word.map((w) => `?${w}`),
    phrase.map(quote),
  );
  const patterns = fc.oneof(
    fc.array(piece, { minLength: 1, maxLength: 4 }).map((ps) => ps.join(' ')),
    fc.constantFrom('%ab+c%', '%a.c%', '%^X%', '%[ab]9_%', '%a|b%'),
  );
  fc.assert(
    fc.property(patterns, fc.array(message, { minLength: 1, maxLength: 5 }), (pattern, messages) => {
      const p: FilterPattern = compileFilterPattern(pattern);
      for (const m of messages) if (p.matches(m)) for (const r of p.required) assert.ok(m.includes(r));
    }),
  );
});

test('property: %word% matches exactly like the bare term', () => {
  fc.assert(fc.property(word, message, (w, m) => assert.equal(compileFilterPattern(`%${w}%`).matches(m), m.includes(w))));
});

test('property: compiling never throws anything but FilterPatternError', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'{}[]$.=!<>&|()"\'%*?- ,abc019\\'), maxLength: 20 }), (pattern) => {
      try {
        const p = compileFilterPattern(pattern);
        p.matches('abc {"a":1} [x] 019');
        p.matches('{"a":[1,{"b":"c"}],"abc":true}');
      } catch (err) {
        assert.ok(err instanceof FilterPatternError, `${pattern}: ${String(err)}`);
      }
    }),
  );
});
