import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { backend, defaultRule, forwardTo, freePort, get, harness, listener, named, target, targetGroup, type Backend, type Harness } from './fixture.js';

// HTTP/1.1 through the listener's own protocol engine: pipelining, chunked
// bodies both ways, HTTP/1.0, HEAD, 100-continue, backpressure, keep-alive
// reuse towards targets, early responses, and framing it refuses.

let h: Harness;
const closers: Array<() => Promise<void>> = [];

before(() => {
  h = harness();
});

after(async () => {
  await h.close();
  await Promise.all(closers.map((c) => c()));
});

async function listenTo(port: number, over: Parameters<typeof targetGroup>[2] = {}, lOver: Parameters<typeof listener>[3] = {}): Promise<number> {
  const lport = await freePort();
  const tg = targetGroup(`tg/h1-${lport}`, [target(port)], over);
  const res = await h.apply({ listeners: [listener(`listener/h1-${lport}`, lport, [defaultRule(forwardTo(tg.arn))], lOver)], targetGroups: [tg] });
  assert.deepEqual(res.failed, []);
  return lport;
}

async function started(b: Promise<Backend>): Promise<Backend> {
  const x = await b;
  closers.push(x.close);
  return x;
}

/** Writes `text` (then half-closes when `end`) on a raw connection and collects what comes back until `done(received)` or the connection closes. */
function raw(port: number, text: string | Buffer, done: (got: string) => boolean = () => false, end = false): Promise<{ got: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      s.destroy();
      resolve({ got, closed });
    };
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (done(got)) finish(false);
    });
    s.on('close', () => finish(true));
    s.on('error', () => undefined);
    setTimeout(() => finish(false), 5_000);
    if (end) s.end(text);
    else s.write(text);
  });
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

test('pipelined requests are answered in order on one connection', async () => {
  const b = await started(backend((req, res) => setTimeout(() => res.end(`r${req.url}`), req.url === '/1' ? 50 : 0)));
  const port = await listenTo(b.port);
  const { got } = await raw(port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n', (g) => g.includes('r/3'));
  assert.equal(count(got, /HTTP\/1\.1 200/g), 3);
  assert.ok(got.indexOf('r/1') < got.indexOf('r/2') && got.indexOf('r/2') < got.indexOf('r/3'), got);
});

test('chunked bodies pass both ways; multiple Set-Cookie headers survive', async () => {
  const b = await started(
    backend((req, res) => {
      let n = 0;
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => {
        n += d.length;
        parts.push(d);
      });
      req.on('end', () => {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.write(`got ${n} bytes, te=${req.headers['transfer-encoding']};`);
        setTimeout(() => {
          res.write(Buffer.concat(parts).subarray(0, 5));
          res.end(';end');
        }, 10);
      });
    }),
  );
  const port = await listenTo(b.port);
  const reply = await new Promise<{ body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ body, headers: res.headers }));
    });
    r.on('error', reject);
    r.write('hello ');
    setTimeout(() => r.end('world'), 20);
  });
  assert.equal(reply.body, 'got 11 bytes, te=chunked;hello;end');
  assert.equal(reply.headers['transfer-encoding'], 'chunked');
  assert.deepEqual(reply.headers['set-cookie'], ['a=1', 'b=2']);
});

test('HTTP/1.0 clients get their response and a closed connection; HEAD, 204 and 304 carry no body', async () => {
  const b = await started(
    backend((req, res) => {
      if (req.url === '/204') return void res.writeHead(204).end();
      if (req.url === '/304') return void res.writeHead(304).end();
      res.setHeader('content-length', '5');
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    }),
  );
  const port = await listenTo(b.port);
  const ten = await raw(port, 'GET / HTTP/1.0\r\n\r\n');
  assert.ok(ten.closed);
  assert.match(ten.got, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(ten.got, /\r\nConnection: close\r\n/i);
  assert.ok(ten.got.endsWith('\r\n\r\nhello'));
  const seq = await raw(port, 'HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', (g) =>
    g.endsWith('hello'),
  );
  assert.equal(count(seq.got, /^HTTP\/1\.1 /gm), 4, seq.got);
  assert.equal(count(seq.got, /hello/g), 1, 'only the GET has a body');
  assert.match(seq.got, /HTTP\/1\.1 200 OK\r\n[^]*content-length: 5\r\n[^]*HTTP\/1\.1 204[^]*HTTP\/1\.1 304[^]*HTTP\/1\.1 200 OK/i);
});

test('Expect: 100-continue gets an interim 100 from the load balancer', async () => {
  const b = await started(backend(named('b')));
  const port = await listenTo(b.port);
  const { got } = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n', (g) => g.includes('HTTP/1.1 100'));
  assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  const { got: all } = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc', (g) => g.endsWith('b:abc'));
  assert.match(all, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
});

test('a large response reaches a slow reader intact (backpressure, not buffering)', async () => {
  const size = 8 * 1024 * 1024;
  const b = await started(
    backend((_req, res) => {
      res.setHeader('content-length', String(size));
      const chunk = Buffer.alloc(64 * 1024, 'y');
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    }),
  );
  const port = await listenTo(b.port);
  const received = await new Promise<number>((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => {
        n += d.length;
        // Read slowly at first so that every buffer on the way fills up.
        if (n < 1024 * 1024) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on('end', () => resolve(n));
    });
    r.on('error', reject);
    r.end();
  });
  assert.equal(received, size);
});

test('connections to targets are kept alive and reused', async () => {
  let connections = 0;
  const b = await started(backend(named('b')));
  b.server.on('connection', () => connections++);
  const port = await listenTo(b.port);
  for (let i = 0; i < 20; i++) assert.equal((await get(port)).body, 'b');
  assert.ok(connections <= 2, `${connections} connections for 20 requests`);
});

test('a keep-alive connection the target closes unannounced is retried once on a fresh one (GET)', async () => {
  // Answers the first request of each connection; a second request on the same connection gets a reset.
  const s = createNetServer((sock: Socket) => {
    let served = 0;
    sock.on('error', () => undefined);
    sock.on('data', () => {
      if (served++ === 0) sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n\r\nok');
      else sock.destroy();
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => s.close(() => r())));
  const port = await listenTo((s.address() as AddressInfo).port);
  for (let i = 0; i < 4; i++) {
    const r = await get(port);
    assert.equal(r.status, 200, `request ${i}`);
    assert.equal(r.body, 'ok');
  }
});

test('a target that answers before reading the whole upload: the client gets the answer, the connection closes', async () => {
  const b = await started(
    backend((req, res) => {
      res.writeHead(413, { 'content-length': '8' });
      res.end('too long');
      req.resume();
    }),
  );
  const port = await listenTo(b.port);
  const { got, closed } = await raw(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n${'z'.repeat(1000)}`);
  assert.match(got, /^HTTP\/1\.1 413 /);
  assert.match(got, /\r\nConnection: close\r\n/i);
  assert.ok(closed, 'closed: the rest of the upload is not read');
  assert.equal((await get(port)).status, 413, 'the listener still serves');
});

test('a response delimited by the target closing is passed on and ends the client connection', async () => {
  const s = createNetServer((sock: Socket) => {
    sock.on('error', () => undefined);
    sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close'));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => s.close(() => r())));
  const port = await listenTo((s.address() as AddressInfo).port);
  const { got, closed } = await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(closed);
  assert.match(got, /\r\nConnection: close\r\n/);
  assert.ok(got.endsWith('\r\n\r\nuntil close'));
});

test('a CGI-style response (bare LF line ends, delimited by close) is passed on', async () => {
  const s = createNetServer((sock: Socket) => {
    sock.on('error', () => undefined);
    sock.once('data', () => sock.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nA=1\nB=2\n'));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => s.close(() => r())));
  const port = await listenTo((s.address() as AddressInfo).port);
  const r = await get(port);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain');
  assert.equal(r.body, 'A=1\nB=2\n');
});

test('ambiguous framing is refused with 400 (and an unsupported coding with 501), and the connection closed', async () => {
  let reached = 0;
  const b = await started(
    backend((_req, res) => {
      reached++;
      res.end('no');
    }),
  );
  const port = await listenTo(b.port);
  const smuggle = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n', undefined, true);
  assert.match(smuggle.got, /^HTTP\/1\.1 400 Bad Request\r\n/);
  assert.equal(count(smuggle.got, /^HTTP\/1\.1 /gm), 1);
  assert.ok(smuggle.closed);
  const gzip = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n', undefined, true);
  assert.match(gzip.got, /^HTTP\/1\.1 501 /);
  const badChunk = await raw(port, 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', (g) => g.includes('</html>'));
  assert.match(badChunk.got, /HTTP\/1\.1 400 /);
  assert.equal(reached, 0, 'nothing reached the target');
});

test('a head larger than 64 KiB is refused; a slow partial head times out with 408', async () => {
  const b = await started(backend(named('b')));
  const port = await listenTo(b.port, {}, { idleTimeoutMs: 300 });
  const big = await raw(port, `GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, (g) => g.includes('</html>'));
  assert.match(big.got, /^HTTP\/1\.1 400 /);
  const slow = await raw(port, 'GET / HTTP/1.1\r\nHost');
  assert.match(slow.got, /^HTTP\/1\.1 408 /);
  assert.ok(slow.closed);
});

test('fuzz: mangled requests and mangled target responses never take the listener down', async () => {
  let script = '';
  const s = createNetServer((sock: Socket) => {
    sock.on('error', () => undefined);
    sock.once('data', () => sock.end(script));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => s.close(() => r())));
  const port = await listenTo((s.address() as AddressInfo).port, {}, { idleTimeoutMs: 500 });
  const requestText = 'POST /x?y=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  const responseText = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  const mangle = (text: string, edits: Array<[number, number, string]>) => {
    let t = text;
    for (const [at, del, ins] of edits) {
      const i = at % (t.length + 1);
      t = t.slice(0, i) + ins + t.slice(i + del);
    }
    return t;
  };
  const edit = fc.tuple(fc.nat(200), fc.nat(4), fc.constantFrom('', '\r', '\n', '\r\n', ' ', ':', '0', 'ff', '\x00', 'chunked', 'Content-Length: 3\r\n', '\r\n\r\n'));
  await fc.assert(
    fc.asyncProperty(fc.array(edit, { maxLength: 4 }), fc.array(edit, { maxLength: 4 }), async (reqEdits, resEdits) => {
      script = mangle(responseText, resEdits);
      const { got } = await raw(port, mangle(requestText, reqEdits), (g) => /\r\n\r\n/.test(g), true);
      // Whatever happened, an answer (if any) is HTTP.
      if (got) assert.match(got, /^HTTP\/1\.1 \d{3} /);
    }),
    { numRuns: 60 },
  );
  script = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  assert.equal((await get(port)).body, 'ok', 'still serving');
});

test('a target that refuses, or closes before answering a GET, is passed over for another target; a POST with a body is not retried', async () => {
  const down = await freePort();
  let closes = 0;
  const closer = createNetServer((sock: Socket) => {
    sock.on('error', () => undefined);
    sock.once('data', () => {
      closes++;
      sock.destroy();
    });
  });
  await new Promise<void>((r) => closer.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => closer.close(() => r())));
  const good = await started(backend(named('good')));
  const lport = await freePort();
  const tg = targetGroup('tg/retry', [target(down), target((closer.address() as AddressInfo).port), target(good.port)]);
  await h.apply({ listeners: [listener('listener/retry', lport, [defaultRule(forwardTo(tg.arn))])], targetGroups: [tg] });
  for (let i = 0; i < 6; i++) {
    const r = await get(lport);
    assert.equal(r.status, 200, `GET ${i}`);
    assert.equal(r.body, 'good');
  }
  assert.ok(closes > 0, 'the closing target was tried');
  const posts = [];
  const before = closes;
  for (let i = 0; i < 6; i++) posts.push(await get(lport, '/', { method: 'POST', body: 'x' }));
  // A POST that reached the closing target fails (it is not repeated); one refused elsewhere is sent on, body included.
  assert.equal(posts.filter((r) => r.status === 502).length, closes - before, posts.map((r) => r.status).join());
  for (const r of posts) if (r.status === 200) assert.equal(r.body, 'good:x');
  assert.ok(posts.some((r) => r.status === 200));
});

test('a head that arrives in many small pieces, followed by a pipelined request, is read whole', async () => {
  const b = await started(backend((req, res) => res.end(`${req.url} ${req.headers['x-long']?.length ?? 0}.`)));
  const port = await listenTo(b.port);
  const text = `GET /first HTTP/1.1\r\nHost: x\r\nX-Long: ${'l'.repeat(10_000)}\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n`;
  const got = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    s.setNoDelay(true);
    let out = '';
    s.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.includes('/second 0.')) {
        s.destroy();
        resolve(out);
      }
    });
    s.on('error', reject);
    setTimeout(() => {
      s.destroy();
      reject(new Error(`no second response: ${out.slice(0, 200)}`));
    }, 5_000);
    let at = 0;
    const step = () => {
      if (at >= text.length) return;
      s.write(text.slice(at, (at += 97)));
      setImmediate(step);
    };
    step();
  });
  assert.match(got, /\/first 10000\./);
  assert.ok(got.indexOf('/first 10000.') < got.indexOf('/second 0.'));
});
