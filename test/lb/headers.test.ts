import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientResponseHead, headersObject, upstreamRequestHead } from '../../src/lb/forwarded-headers.js';
import { findHeadEnd, parseRequestHead, parseResponseHead, type RequestHead } from '../../src/lb/http1-parse.js';
import { decodeSticky, encodeSticky, readCookie, stickyCookies } from '../../src/lb/sticky-cookie.js';
import { traceHeader } from '../../src/lb/trace-id.js';

// The pure pieces of the HTTP path: trace ids, forwarded headers, cookies.

const site = { proto: 'https' as const, port: '443', idleTimeoutMs: 60_000 };
const NOW = 0x67891233 * 1000;

test('X-Amzn-Trace-Id: Root when absent, Self inserted before a Root, an existing Self replaced, app fields kept', () => {
  assert.match(traceHeader(undefined, NOW), /^Root=1-67891233-[0-9a-f]{24}$/);
  const root = 'Root=1-67891233-abcdef012345678912345678';
  assert.match(traceHeader(root, NOW), new RegExp(`^Self=1-67891233-[0-9a-f]{24};${root}$`));
  const withSelf = traceHeader(`Self=1-00000000-000000000000000000000000;${root};CalledFrom=app`, NOW);
  assert.match(withSelf, new RegExp(`^Self=1-67891233-[0-9a-f]{24};${root};CalledFrom=app$`));
  assert.doesNotMatch(withSelf, /000000000000000000000000/);
  assert.match(traceHeader('CalledFrom=app', NOW), /^Root=1-67891233-[0-9a-f]{24};CalledFrom=app$/);
  const a = traceHeader(undefined, NOW);
  const b = traceHeader(undefined, NOW);
  assert.notEqual(a, b, 'ids are random');
});

function request(text: string): RequestHead {
  const buf = Buffer.from(text, 'latin1');
  const parsed = parseRequestHead(buf, findHeadEnd(buf));
  assert.ok(parsed.ok, text);
  return parsed.head;
}

function headerLines(head: string): Array<[string, string]> {
  return head
    .split('\r\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
}

test('upstream request head: hop-by-hop and Connection-named headers dropped, one Host, forwarded headers set, chunked kept', () => {
  const head = request(
    'POST /p?q=1 HTTP/1.1\r\nHost: a.example\r\nhost: b.example\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\n' +
      'TE: trailers\r\nUpgrade: h2c\r\nX-Forwarded-For: 198.51.100.1\r\nx-forwarded-for: 198.51.100.2\r\nX-Forwarded-Proto: http\r\n' +
      'Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nAccept: */*\r\n\r\n',
  );
  const up = upstreamRequestHead(head, '203.0.113.9', site, NOW, false);
  assert.ok(up.text.startsWith('POST /p?q=1 HTTP/1.1\r\n'));
  assert.ok(up.text.endsWith('\r\n\r\n'));
  const lines = headerLines(up.text);
  const get = (n: string) => lines.filter(([k]) => k === n).map(([, v]) => v);
  for (const gone of ['connection', 'x-secret', 'keep-alive', 'te', 'upgrade', 'expect']) assert.deepEqual(get(gone), [], gone);
  assert.deepEqual(get('host'), ['a.example']);
  assert.deepEqual(get('transfer-encoding'), ['chunked']);
  assert.deepEqual(get('x-forwarded-for'), ['198.51.100.1, 198.51.100.2, 203.0.113.9']);
  assert.deepEqual(get('x-forwarded-proto'), ['https']);
  assert.deepEqual(get('x-forwarded-port'), ['443']);
  assert.deepEqual(get('accept'), ['*/*']);
  assert.equal(up.forwardedFor, 2);
  // HTTP/1.0 asks the target for keep-alive; a WebSocket handshake keeps Connection and Upgrade.
  assert.deepEqual(headerLines(upstreamRequestHead(request('GET / HTTP/1.0\r\n\r\n'), '127.0.0.1', site, NOW, false).text).find(([k]) => k === 'connection'), ['connection', 'keep-alive']);
  const ws = headerLines(upstreamRequestHead(request('GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'), '127.0.0.1', site, NOW, true).text);
  assert.deepEqual(ws.slice(0, 2), [['connection', 'Upgrade'], ['upgrade', 'websocket']]);
});

test('client response head: Connection/Keep-Alive replaced by the proxy\'s own, framing headers kept, cookies added', () => {
  const buf = Buffer.from('HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\nTransfer-Encoding: chunked\r\nX-App: yes\r\n\r\n', 'latin1');
  const parsed = parseResponseHead(buf, findHeadEnd(buf));
  assert.ok(parsed.ok);
  assert.equal(parsed.head.keepAliveMs, 5000);
  const text = clientResponseHead(parsed.head, true, false, ['AWSALB=x; Path=/']);
  assert.equal(text, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-App: yes\r\nSet-Cookie: AWSALB=x; Path=/\r\nConnection: close\r\n\r\n');
  assert.equal(clientResponseHead(parsed.head, false, true, undefined).endsWith('Connection: keep-alive\r\n\r\n'), true);
});

test('headers object as node:http shows it: lower-case names, repeats joined, cookies with "; ", Host kept once', () => {
  assert.deepEqual(headersObject(['Host', 'a', 'host', 'b', 'Accept', 'x', 'accept', 'y', 'Cookie', 'a=1', 'cookie', 'b=2', 'Set-Cookie', 's']), {
    host: 'a',
    accept: 'x, y',
    cookie: 'a=1; b=2',
    'set-cookie': ['s'],
  });
});

test('cookies: AWSALB read among others, round-trips through encode/decode, Set-Cookie pair with the CORS twin', () => {
  assert.equal(readCookie('a=1; AWSALBCORS=x; AWSALB=abc; b=2', 'AWSALB'), 'abc');
  assert.equal(readCookie('AWSALBTG=t; AWSALB=abc', 'AWSALBTG'), 't');
  assert.equal(readCookie('XAWSALB=1', 'AWSALB'), undefined);
  assert.equal(readCookie(undefined, 'AWSALB'), undefined);
  assert.equal(decodeSticky(encodeSticky('10.0.0.1:8080')), '10.0.0.1:8080');
  const [plain, cors] = stickyCookies('AWSALB', 'AWSALBCORS', 'v', 0, 86_400_000);
  assert.equal(plain, 'AWSALB=v; Expires=Fri, 02 Jan 1970 00:00:00 GMT; Path=/');
  assert.equal(cors, 'AWSALBCORS=v; Expires=Fri, 02 Jan 1970 00:00:00 GMT; Path=/; SameSite=None; Secure');
});
