import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ChunkScanner, findHeadEnd, findResponseHeadEnd, parseRequestHead, parseResponseHead } from '../../src/lb/http1-parse.js';

// The HTTP/1.1 framing the proxy relies on to know where messages end, and
// the strictness that keeps requests from being smuggled past it.

function req(text: string) {
  const buf = Buffer.from(text, 'latin1');
  const end = findHeadEnd(buf);
  assert.ok(end > 0, 'a complete head');
  return parseRequestHead(buf, end);
}

function res(text: string) {
  const buf = Buffer.from(text, 'latin1');
  return parseResponseHead(buf, findResponseHeadEnd(buf));
}

/** A chunked body of the given chunk sizes (with optional extensions and trailers), lines ended by `eol`. */
function chunked(sizes: number[], ext: boolean, trailers: string[], eol = '\r\n'): Buffer {
  let s = '';
  for (const n of sizes) s += `${n.toString(16)}${ext ? ';a=b' : ''}${eol}${'x'.repeat(n)}${eol}`;
  s += `0${eol}${trailers.map((t) => `${t}${eol}`).join('')}${eol}`;
  return Buffer.from(s, 'latin1');
}

test('request heads: method, target, version, framing, connection semantics', () => {
  const r = req('POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
  assert.ok(r.ok);
  assert.deepEqual({ ...r.head, headers: undefined }, {
    method: 'POST',
    target: '/a?b=c',
    minor: 1,
    headers: undefined,
    contentLength: 5,
    chunked: false,
    close: false,
    upgrade: false,
    expectContinue: true,
  });
  const c = req('GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
  assert.ok(c.ok && c.head.chunked && c.head.close && c.head.contentLength === -1);
  const ten = req('GET / HTTP/1.0\r\n\r\n');
  assert.ok(ten.ok && ten.head.close, 'HTTP/1.0 closes by default');
  const tenKa = req('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
  assert.ok(tenKa.ok && !tenKa.head.close);
  const up = req('GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n');
  assert.ok(up.ok && up.head.upgrade);
  const same = req('POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n');
  assert.ok(same.ok && same.head.contentLength === 3, 'repeated identical lengths are one length');
});

test('request heads that could smuggle a request or that ALB refuses', () => {
  const cases: Array<[string, number]> = [
    ['POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 3, 4\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n', 400],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', 501],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n', 501],
    ['POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', 501],
    ['GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nX-A : 1\r\n\r\n', 400],
    ['GET / HTTP/1.1\nHost: x\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n', 400],
    ['GET /a b HTTP/1.1\r\n\r\n', 400],
    ['GET / HTTP/2.0\r\n\r\n', 400],
    ['PRI * HTTP/2.0\r\n\r\n', 400],
    ['G(T / HTTP/1.1\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\n: empty\r\n\r\n', 400],
  ];
  for (const [text, status] of cases) {
    const r = req(text);
    assert.deepEqual(r, { ok: false, status }, JSON.stringify(text));
  }
});

test('response heads: framing (chunked wins over length; other codings run until close), keep-alive hint, malformed → 502', () => {
  const a = res('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n\r\n');
  assert.ok(a.ok && a.head.contentLength === 2 && a.head.keepAliveMs === 5000 && !a.head.close);
  const b = res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 2\r\n\r\n');
  assert.ok(b.ok && b.head.chunked && b.head.contentLength === -1);
  const c = res('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n');
  assert.ok(c.ok && !c.head.chunked && c.head.contentLength === -1 && c.head.close);
  const d = res('HTTP/1.0 200 OK\r\n\r\n');
  assert.ok(d.ok && d.head.close);
  const e = res('HTTP/1.1 204\r\n\r\n');
  assert.ok(e.ok && e.head.status === 204 && e.head.reason === '');
  for (const bad of ['HTTP/1.1 20 OK\r\n\r\n', 'HTTP/2 200\r\n\r\n', 'garbage\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n']) {
    assert.deepEqual(res(bad), { ok: false, status: 502 }, bad);
  }
});

test('chunk scanner: the end of a chunked message is found however the bytes are split', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 6 }),
      fc.boolean(),
      fc.array(fc.constantFrom('X-Sum: 1', 'Expires: never'), { maxLength: 2 }),
      fc.uint8Array({ maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 8 }),
      fc.boolean(),
      (sizes, ext, trailers, after, cuts, bareLf) => {
        // Bare LF line ends only for the lenient (response) scanner.
        const body = chunked(sizes, ext, trailers, bareLf ? '\n' : '\r\n');
        const all = Buffer.concat([body, Buffer.from(after)]);
        const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((x, y) => x - y);
        const scanner = new ChunkScanner(bareLf);
        let start = 0;
        let found = -1;
        for (const p of [...points, all.length]) {
          if (p < start) continue;
          const piece = all.subarray(start, p);
          const r = scanner.scan(piece, 0);
          assert.notEqual(r, -2);
          if (r >= 0) {
            found = start + r;
            break;
          }
          start = p;
        }
        assert.equal(found, body.length);
        assert.ok(scanner.done);
      },
    ),
  );
});

test('chunk scanner: malformed framing is refused', () => {
  const bad = ['zz\r\n', '5\r\nabcdeX\r\n', '5\nabcde\r\n', '\r\n', '1234567890abcdef0\r\n', '0\r\nX: a\nb\r\n\r\n', '3;ext\x01\r\n'];
  for (const b of bad) assert.equal(new ChunkScanner().scan(Buffer.from(b, 'latin1')), -2, JSON.stringify(b));
  assert.equal(new ChunkScanner().scan(Buffer.from('5\r\nab')), -1);
  assert.equal(new ChunkScanner().scan(Buffer.from('0\r\n\r\nGET')), 5);
  assert.equal(new ChunkScanner().scan(Buffer.from('1\nx\n0\n\n')), -2, 'requests: CRLF only');
  assert.equal(new ChunkScanner(true).scan(Buffer.from('1\nx\n0\n\nNEXT')), 7, 'responses: a bare LF too');
});

test('response heads with bare LF line ends (CGI output) are read; the first blank line ends the head', () => {
  const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nA=1\n\nB=2\r\n\r\n';
  const buf = Buffer.from(text, 'latin1');
  const end = findResponseHeadEnd(buf);
  assert.equal(end, text.indexOf('A=1'));
  const r = parseResponseHead(buf, end);
  assert.ok(r.ok);
  assert.deepEqual(r.head.headers, ['Content-Type', 'text/plain']);
  assert.equal(r.head.contentLength, -1);
  for (const t of ['HTTP/1.1 200 OK\r\nA: b\r\n\r\nx', 'HTTP/1.1 200 OK\nA: b\n\r\nx', 'HTTP/1.1 200 OK\r\nA: b\r\n\nx']) {
    assert.equal(findResponseHeadEnd(Buffer.from(t)), t.indexOf('x'), JSON.stringify(t));
  }
  assert.deepEqual(res('HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n'), { ok: false, status: 502 }, 'a bare CR is still refused');
  // Requests stay strict.
  assert.equal(findHeadEnd(Buffer.from('GET / HTTP/1.1\nHost: x\n\n')), -1);
});
