import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileFilterPattern, FilterPatternError } from '../../src/logs/filter-pattern.js';
import { JsonPathReader, NESTED, type Found, type Step } from '../../src/logs/filter-pattern-json-reader.js';

// JSON filter patterns against every worked example of the user guide (the
// current "Using filter patterns to match terms in JSON log events" page and
// the earlier "Filter and Pattern Syntax" editions), then the grammar's
// corners, then properties of the text reader against JSON.parse.

/** The guide's samples, entered on one line as its note asks. */
const line = (doc: unknown) => JSON.stringify(doc);

const TRAIL = line({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  'cluster.name': 'c',
});

/** The 2019–2022 edition's sample: the same with ThisFlag, without cluster.name. */
const TRAIL_2019 = line({
  eventType: 'UpdateTrail',
  sourceIPAddress: '111.111.111.111',
  arrayKey: ['value', 'another value'],
  objectList: [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
  ],
  SomeObject: null,
  ThisFlag: true,
});

const USERS = line({
  user: { id: 1, email: 'John.Stiles@example.com' },
  users: [
    { id: 2, email: 'John.Doe@example.com' },
    { id: 3, email: 'Jane.Doe@example.com' },
  ],
  actions: ['GET', 'PUT', 'DELETE'],
  coordinates: [
    [0, 1, 2],
    [4, 5, 6],
    [7, 8, 9],
  ],
});

function expectMatch(pattern: string, message: string, expected: boolean, why = ''): void {
  assert.equal(compileFilterPattern(pattern).matches(message), expected, `${pattern} vs ${message.slice(0, 60)} ${why}`);
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

test('guide: every single-condition example matches the sample event', () => {
  const patterns = [
    '{ $.eventType = "UpdateTrail" }',
    '{ $.sourceIPAddress != 123.123.* }',
    '{ $.arrayKey[0] = "value" }',
    '{ $.eventType = %Trail% }',
    '{ $.arrayKey[*] = %val.{2}% }',
    '{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}% }',
    "{ $.['cluster.name'] = \"c\" }",
    '{ $.SomeObject IS NULL }',
    '{ $.SomeOtherObject NOT EXISTS }',
  ];
  for (const p of patterns) expectMatch(p, TRAIL, true);
});

test('guide: the same conditions fail where the documented reason is absent', () => {
  const other = line({ eventType: 'GetTrail', sourceIPAddress: '123.123.9.9', arrayKey: ['another value', 'value'], SomeObject: 'x', SomeOtherObject: 1, 'cluster.name': 'd', misc: '111.111.111.200' });
  for (const p of [
    '{ $.eventType = "UpdateTrail" }',
    '{ $.sourceIPAddress != 123.123.* }',
    '{ $.arrayKey[0] = "value" }',
    '{ $.eventType = %Update% }',
    "{ $.['cluster.name'] = \"c\" }",
    '{ $.SomeObject IS NULL }',
    '{ $.SomeOtherObject NOT EXISTS }',
    '{ $.* = %111\\.111\\.111\\.1[0-9]{1,2}$% }',
  ]) {
    expectMatch(p, other, false);
  }
  // `$.arrayKey[*]`: any element; here the second one.
  expectMatch('{ $.arrayKey[*] = %^val.{2}% }', other, true);
  expectMatch('{ $.arrayKey[*] = %^val.{2}% }', line({ arrayKey: ['another', 'other'] }), false);
});

test('guide: "This pattern works with any JSON logs containing an eventType field"', () => {
  const p = compileFilterPattern('{ $.eventType = "UpdateTrail" }');
  assert.equal(p.matches('{"eventType": "UpdateTrail", "source": "cloudtrail"}'), true);
  assert.equal(p.matches('{"eventType": "UserLogin", "userId": "123"}'), false);
  assert.equal(p.matches('{"eventType": "ConfigUpdate", "component": "database"}'), false);
});

test('earlier guide: object in array, IS TRUE / IS FALSE, NOT EXISTS on the 2019 sample', () => {
  expectMatch('{ $.objectList[1].id = 2 }', TRAIL_2019, true);
  expectMatch('{ $.objectList[0].id = 2 }', TRAIL_2019, false);
  expectMatch('{ $.ThisFlag IS TRUE }', TRAIL_2019, true);
  expectMatch('{ $.ThisFlag IS FALSE }', TRAIL_2019, false);
  expectMatch('{ $.ThisFlag IS FALSE }', line({ ThisFlag: false }), true);
  expectMatch('{ $.ThisFlag IS TRUE }', line({ ThisFlag: 'true' }), false, '(a string is not a boolean)');
  expectMatch('{ $.SomeObject IS NULL }', TRAIL_2019, true);
  expectMatch('{ $.SomeObject IS NULL }', line({}), false, '(absent is not null)');
  expectMatch('{ $.SomeOtherObject NOT EXISTS }', TRAIL_2019, true);
  expectMatch('{ $.SomeObject NOT EXISTS }', TRAIL_2019, false, '(null exists)');
  // "If arrayKey is not an array this will be false" / "If objectList is not an array this will be false".
  expectMatch('{ $.arrayKey[0] = "value" }', line({ arrayKey: 'value' }), false);
  expectMatch('{ $.objectList[1].id = 2 }', line({ objectList: { 1: { id: 2 } } }), false);
});

test('guide: compound expressions on the users sample', () => {
  expectMatch('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', USERS, true);
  expectMatch('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }', USERS, true);
  expectMatch('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }', USERS, false);
  expectMatch('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', USERS, false);
  // The earlier editions' spelling, with bare words.
  expectMatch('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }', USERS, true);
  expectMatch('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }', USERS, false);
  // Precedence: () > && > ||.
  expectMatch('{ $.actions[0] = "GET" || $.actions[1] = "x" && $.actions[2] = "y" }', USERS, true);
  expectMatch('{ ($.actions[0] = "GET" || $.actions[1] = "x") && $.actions[2] = "y" }', USERS, false);
  expectMatch('{ $.coordinates[2][2] = 9 && $.coordinates[1][0] = 4 }', USERS, true);
});

test('earlier guide: OR pattern matching in JSON filters', () => {
  const [one, two] = ['{"foo": "bar"}', '{"foo": "baz"}'];
  expectMatch('{$.foo = bar}', one, true);
  expectMatch('{$.foo = bar}', two, false);
  expectMatch('{$.foo = baz }', one, false);
  expectMatch('{$.foo = baz }', two, true);
  expectMatch('{$.foo = bar || $.foo = baz }', one, true);
  expectMatch('{$.foo = bar || $.foo = baz }', two, true);
});

test('earlier guide: a selector on an array or object matches neither = nor !=', () => {
  const users = '{"users": [1, 2, 3]}';
  expectMatch('{$.users = 1}', users, false);
  expectMatch('{$.users != 1}', users, false);
  expectMatch('{$.users[0] = 1}', users, true);
  expectMatch('{$.user != 1}', '{"user": {"id": 1}}', false);
});

test('earlier guide: * wildcards only at the start or end of a string', () => {
  // "*Event will match PutEvent and GetEvent. Event* will match EventId and EventName. Ev*ent will only match the actual string Ev*ent."
  const cases: [string, string, boolean][] = [
    ['*Event', 'PutEvent', true],
    ['*Event', 'GetEvent', true],
    ['*Event', 'EventId', false],
    ['Event*', 'EventId', true],
    ['Event*', 'EventName', true],
    ['Event*', 'PutEvent', false],
    ['Ev*ent', 'Ev*ent', true],
    ['Ev*ent', 'Event', false],
    ['Ev*ent', 'Evxent', false],
    ['"*Event*"', 'PutEvents', true],
    ['"*"', 'anything', true],
    ['*', '', true],
  ];
  for (const [value, actual, expected] of cases) expectMatch(`{ $.name = ${value} }`, line({ name: actual }), expected, value);
  expectMatch('{ $.name = * }', line({ name: 7 }), true);
  expectMatch('{ $.name = * }', line({ name: null }), false);
  expectMatch('{ $.name = * }', line({ other: 1 }), false);
  expectMatch('{ $.code = 4* }', line({ code: 404 }), true, '(numbers compare as their text)');
});

test('earlier guide (dimensions): { $.eventType = "*" && $.sourceIPAddress != 123.123.* }', () => {
  const event = line({ eventType: 'UpdateTrail', sourceIPAddress: '111.111.111.111', arrayKey: ['value', 'another value'], objectList: [{ name: 'a', id: 1 }, { name: 'b', id: 2 }] });
  const p = compileFilterPattern('{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }');
  assert.equal(p.matches(event), true);
  assert.equal(p.value(event, '$.eventType'), 'UpdateTrail');
  assert.equal(p.matches(line({ eventType: 'x', sourceIPAddress: '123.123.0.1' })), false);
  assert.equal(p.matches(line({ sourceIPAddress: '1.1.1.1' })), false);
});

test('guide: numeric comparisons, every documented spelling, on both sides of the bound', () => {
  const cases: [string, unknown, boolean][] = [
    ['{ $.bandwidth > 75 }', { bandwidth: 76 }, true],
    ['{ $.bandwidth > 75 }', { bandwidth: 75 }, false],
    ['{ $.latency < 50 }', { latency: 49.9 }, true],
    ['{ $.latency < 50 }', { latency: 50 }, false],
    ['{ $.refreshRate >= 60 }', { refreshRate: 60 }, true],
    ['{ $.refreshRate >= 60 }', { refreshRate: 59 }, false],
    ['{ $.responseTime <= 5 }', { responseTime: 5 }, true],
    ['{ $.responseTime <= 5 }', { responseTime: 6 }, false],
    ['{ $.errorCode = 400}', { errorCode: 400 }, true],
    ['{ $.errorCode = 400 }', { errorCode: 401 }, false],
    ['{ $.errorCode != 500 }', { errorCode: 400 }, true],
    ['{ $.errorCode != 500 }', { errorCode: 500 }, false],
    ['{ $.errorCode != 500 }', {}, false],
    ['{ $.number[0] = 1e+3 }', { number: [1000] }, true],
    ['{ $.number[0] = 1e-3 }', { number: [0.001] }, true],
    ['{ $.number[0] != 1e-3 }', { number: [0.001] }, false],
    ['{ $.number[0] != 1e+3 }', { number: [5] }, true],
    ['{ $.latency >= 500 }', { latency: 500 }, true],
    ['{ $.numbers[0] < 10e3 }', { numbers: [9999] }, true],
    ['{ $.numbers[0] < 10e3 }', { numbers: [10000] }, false],
    ['{ $.numbers[0] < 10e-3 }', { numbers: [0.009] }, true],
    ['{ $.numbers[0] < 10e-3 }', { numbers: [0.01] }, false],
    ['{ $.processes[4].averageRuntime <= 55.5 }', { processes: [0, 0, 0, 0, { averageRuntime: 55.5 }] }, true],
    ['{ $.processes[4].averageRuntime <= 55.5 }', { processes: [{ averageRuntime: 1 }] }, false],
    ['{ $.latency > +1000 }', { latency: 1001 }, true],
    ['{ $.latency > +1000 }', { latency: -1001 }, false],
    ['{ $.latency > -5 }', { latency: -4 }, true],
    ['{ $.latency > 10 }', { latency: '11' }, true],
    ['{ $.latency > 10 }', { latency: 'slow' }, false],
    ['{ $.latency > 10 }', { latency: true }, false],
    ['{ $.errorCode = 400 }', { errorCode: '400' }, true],
    ['{ $.errorCode = 400 }', { errorCode: 400.0 }, true],
    ['{ $.errorCode = "400" }', { errorCode: 400 }, true],
  ];
  for (const [pattern, doc, expected] of cases) expectMatch(pattern, line(doc), expected);
});

test('earlier guide: publishing a value, { $.latency = * } with metricValue $.latency', () => {
  const p = compileFilterPattern('{ $.latency = * }');
  const event = '{\n"latency": 50,\n"requestType": "GET"\n}';
  assert.equal(p.matches(event), true);
  assert.equal(p.value(event, '$.latency'), 50);
  assert.equal(p.value(event, '$.requestType'), 'GET');
  assert.equal(p.value(event, '$.missing'), undefined);
  assert.equal(p.value(event, '$bytes'), undefined);
  assert.equal(p.value('not json', '$.latency'), undefined);
  assert.equal(p.value('{"a":{"b":[1,2.5]}}', '$.a.b[1]'), 2.5);
  assert.equal(p.value('{"a":{"b":[1,2.5]}}', '$.a'), undefined, 'objects are not values');
});

test('a message that is not a JSON document matches no JSON pattern', () => {
  const p = compileFilterPattern('{ $.nothing NOT EXISTS }');
  for (const m of ['', 'hello', '2024-01-01 INFO {"a":1}', '{"a":1} trailing', '{"a":1', '{a:1}', '"string"', '42', "{'a':1}", '{"a":01}', '{"a":"\u0001"}']) {
    assert.equal(p.matches(m), false, JSON.stringify(m));
  }
  for (const m of ['{}', '  {"a":1}\n', '[1,2]', '{"a":[{"b":null}],"c":-0.5e+3}']) assert.equal(p.matches(m), true, m);
  // A raw control character inside a string makes the text no JSON, even when all else matches;
  // between tokens (pretty-printed JSON) it is whitespace.
  expectMatch('{ $.a = "x" }', '{"a":"x","b":"raw\ttab"}', false);
  expectMatch('{ $.a = "x" }', '{"a":"x","b":"escaped\\ttab"}', true);
  expectMatch('{ $.a = "x" }', '{\n\t"a": "x",\r\n\t"b": [1,\n2]\n}', true);
  expectMatch('{ $.a = "x" }', '{"a":"x","b":"\u0000"}', false);
});

test('property: a JSON pattern matches only JSON documents, exactly as JSON.parse judges them', () => {
  const p = compileFilterPattern('{ $.zz NOT EXISTS }');
  const damaged = fc
    .tuple(documents, fc.nat(), fc.constantFrom('', '"', '\t', '\n', '\u0001', '\\', '}', ',', ' '))
    .map(([text, at, ch]) => (text.length === 0 ? ch : text.slice(0, at % text.length) + ch + text.slice((at % text.length) + 1)));
  fc.assert(
    fc.property(fc.oneof(documents, damaged), (text) => {
      let doc: unknown;
      let valid = true;
      try {
        doc = JSON.parse(text);
      } catch {
        valid = false;
      }
      const start = text.trimStart()[0];
      const expected = valid && (start === '{' || start === '[') && !(doc !== null && typeof doc === 'object' && !Array.isArray(doc) && Object.hasOwn(doc, 'zz'));
      assert.equal(p.matches(text), expected, JSON.stringify(text));
    }),
    { numRuns: 1000 },
  );
});

test('escaped JSON still matches: the text prefilter steps aside for backslashes', () => {
  expectMatch('{ $.eventType = "UpdateTrail" }', '{"event\\u0054ype":"Update\\u0054rail"}', true);
  expectMatch('{ $.path = "/a/b" }', '{"path":"\\/a\\/b"}', true);
  expectMatch('{ $.msg = %line2% }', '{"msg":"line1\\nline2"}', true);
  expectMatch('{ $.msg = "say \\"hi\\"" }', '{"msg":"say \\"hi\\""}', true);
  assert.deepEqual(compileFilterPattern('{ $.eventType = "UpdateTrail" }').required, [], 'escapes make no substring certain');
});

test('selectors: names with - and _, bracket keys, root arrays, wildcards over objects and arrays', () => {
  expectMatch('{ $.detail-type = "Scheduled Event" }', line({ 'detail-type': 'Scheduled Event' }), true);
  expectMatch('{ $.a_b.c-d[1] = 2 }', line({ a_b: { 'c-d': [1, 2] } }), true);
  expectMatch("{ $['cluster.name'] = \"c\" }", line({ 'cluster.name': 'c' }), true);
  expectMatch('{ $.["k y"] = 1 }', line({ 'k y': 1 }), true);
  expectMatch("{ $.['cluster.name'] = \"c\" }", line({ cluster: { name: 'c' } }), false);
  expectMatch('{ $[1].id = 7 }', line([{ id: 1 }, { id: 7 }]), true);
  expectMatch('{ $.users[*].id = 3 }', USERS, true);
  expectMatch('{ $.users[*].id = 4 }', USERS, false);
  expectMatch('{ $.user.* = 1 }', USERS, true);
  expectMatch('{ $.*.id = 1 }', USERS, true);
  expectMatch('{ $.coordinates[*][2] = 6 }', USERS, true);
  expectMatch('{ $.users[*].email IS NULL }', USERS, false);
  expectMatch('{ $.nobody[*] NOT EXISTS }', USERS, true);
  expectMatch('{ $.users[*] NOT EXISTS }', USERS, false);
  expectMatch('{ $.a.b = 1 && $.a.* = 2 }', line({ a: { b: 1, c: 2 } }), true, '(one path named and wildcarded)');
});

test('regex values in JSON: at most two, unanchored within the value', () => {
  expectMatch('{ $.a = %^x% && $.b = %y$% }', line({ a: 'xa', b: 'ay' }), true);
  expectMatch('{ $.a = %^x% }', line({ a: 'ax' }), false);
  expectMatch('{ $.a != %x% }', line({ a: 'abc' }), true);
  expectMatch('{ $.n = %^4\\d\\d$% }', line({ n: 404 }), true);
  rejects('{ $.a = %r1% && $.b = %r2% && $.c = %r3% }', /at most 2 regular expressions/);
});

test('JSON grammar errors, with AWS wording where AWS is known to use it', () => {
  // "InvalidParameterException: Invalid character(s) in term '$."'", reported for `{ $."sc-status" = 5* }`.
  rejects('{ $."sc-status" = 5* }', `Invalid character(s) in term '$."'`);
  rejects('{ $.message = "error-response", $.path = "/authenticate" }', "Invalid character(s) in term ','");
  rejects('{ $.email = user@example.com }', "Invalid character(s) in term '@'");
  rejects('{ $.a@b = 1 }', "Invalid character(s) in term '$.a@'");
  rejects('{ $.a = 1', "If a filter pattern starts with '{' it must end with '}'");
  rejects('{}', /ends too early/);
  rejects('{ $ = 1 }', /must be followed by a property/);
  rejects('{ eventType = 1 }', /expected a property selector/);
  rejects('{ $.a }', /operator is missing/);
  rejects('{ $.a = }', /value is missing/);
  rejects('{ $.a > big }', /needs a number/);
  rejects('{ $.a = "open }', /closing '"'/);
  rejects('{ ($.a = 1 }', /ends too early/);
  rejects('{ $.a = 1 && }', /ends too early/);
  rejects('{ $.a = 1 $.b = 2 }', /unexpected/);
  rejects('{ $.a[x] = 1 }', `Invalid character(s) in term '$.a[x'`);
  // "The variables IS NOT and EXISTS currently aren't supported."
  rejects('{ $.a IS NOT NULL }', /IS NOT/);
  rejects('{ $.a EXISTS }', /EXISTS/);
  rejects('{ $.a IS MAYBE }', /NULL, TRUE or FALSE/);
  // Quotas: one wildcard per selector, three per pattern.
  rejects('{ $.a[*].b[*] = 1 }', /only one wildcard/);
  rejects('{ $.a[*] = 1 || $.b[*] = 1 || $.c.* = 1 || $.* = 1 }', /at most 3 wildcard/);
  assert.ok(compileFilterPattern('{ $.a[*] = 1 || $.b[*] = 1 || $.c.* = 1 }'));
});

// ---- the reader against JSON.parse -----------------------------------------------

const PATHS: Step[][] = [
  [{ kind: 'key', key: 'a' }],
  [{ kind: 'any' }],
  [{ kind: 'index', index: 0 }],
  [{ kind: 'key', key: 'a' }, { kind: 'any' }],
  [{ kind: 'any' }, { kind: 'key', key: 'b' }],
  [{ kind: 'key', key: 'a' }, { kind: 'index', index: 1 }, { kind: 'key', key: 'b' }],
];

function reference(text: string): Found[][] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  const asFound = (v: unknown): Found => (v !== null && typeof v === 'object' ? NESTED : (v as Found));
  return PATHS.map((path) => {
    let level: unknown[] = [doc];
    for (const step of path) {
      const next: unknown[] = [];
      for (const v of level) {
        if (v === null || typeof v !== 'object') continue;
        if (step.kind === 'key' && !Array.isArray(v) && Object.hasOwn(v, step.key)) next.push((v as Record<string, unknown>)[step.key]);
        if (step.kind === 'index' && Array.isArray(v) && step.index < v.length) next.push(v[step.index]);
        if (step.kind === 'any') next.push(...Object.values(v));
      }
      level = next;
    }
    return level.map(asFound);
  });
}

const keyed = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'a b', 'é', '"q"'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
const documents = fc.oneof(fc.json({ maxDepth: 4 }), keyed.map((o) => JSON.stringify(o)), fc.array(keyed, { maxLength: 3 }).map((a) => JSON.stringify(a, null, 1)));

test('property: the reader accepts exactly what JSON.parse accepts and finds what a walk finds', () => {
  const reader = new JsonPathReader(PATHS);
  const check = (text: string, values = true) => {
    const expected = reference(text);
    const ok = reader.read(text);
    assert.equal(ok, expected !== null, `validity of ${JSON.stringify(text)}`);
    if (!values) return;
    // As multisets: JSON.parse puts integer-like keys first, the text keeps its own order.
    const bag = (found: readonly Found[]) => found.map((f) => (f === NESTED ? '<nested>' : JSON.stringify(f))).sort();
    if (expected) PATHS.forEach((_, id) => assert.deepEqual(bag(reader.found(id)), bag(expected[id]!), `path ${id} in ${text}`));
  };
  fc.assert(fc.property(documents, (text) => check(text)), { numRuns: 500 });
  // Damaged documents: a character removed, replaced or inserted anywhere.
  fc.assert(
    fc.property(documents, fc.nat(), fc.constantFrom('', '"', ',', '}', ']', '\\', '0', '-', 'e', ' ', '\u0001', 'x', '.', '{', '['), (text, at, ch) => {
      const k = text.length === 0 ? 0 : at % text.length;
      // Validity only: a removed character can merge two keys into one, and JSON.parse keeps the
      // last of duplicate keys where the reader (as a wildcard walk of the text) sees both.
      check(text.slice(0, k) + ch + text.slice(k + 1), false);
      check(text.slice(0, k) + ch + text.slice(k), false);
    }),
    { numRuns: 1000 },
  );
  for (const text of ['1', '-0', '1.', '.5', '01', '1e', '1e+', '-', '"\\u12"', '"\\u12g4"', '"\\x"', 'tru', 'nulll', '[1,]', '{"a":1,}', '{"a" 1}', '[] []', ' \t\n[]\r ']) check(text);
});

test('property: deeply nested documents fall back to JSON.parse and agree with it', () => {
  const reader = new JsonPathReader(PATHS);
  const deep = '{"a":' + '['.repeat(500) + '1' + ']'.repeat(500) + '}';
  assert.equal(reader.read(deep), true);
  assert.deepEqual(reader.found(0), [NESTED]);
  assert.equal(reader.read(deep.slice(0, -2) + '}'), false);
});

test('property: string equality against a generated object agrees with a direct reading', () => {
  const value = fc.oneof(fc.constantFrom('x', 'xy', 'y', 'a"b', 'é', '', '1', 'true'), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null));
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom('k', 'm', 'k2'), value, { maxKeys: 3 }), fc.constantFrom('k', 'm'), fc.constantFrom('x', 'xy', '1', 'true', 'é'), (doc, key, want) => {
      const text = JSON.stringify(doc);
      const v = (doc as Record<string, unknown>)[key];
      const scalar = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
      const numeric = want === '1';
      const expected = scalar && (numeric ? (typeof v === 'number' ? v === 1 : String(v) === '1') : String(v) === want);
      assert.equal(compileFilterPattern(`{ $.${key} = "${want}" }`).matches(text), scalar && String(v) === want, `${text} ${key}="${want}"`);
      assert.equal(compileFilterPattern(`{ $.${key} = ${want === 'é' ? '"é"' : want} }`).matches(text), expected, `${text} ${key}=${want}`);
    }),
  );
});
