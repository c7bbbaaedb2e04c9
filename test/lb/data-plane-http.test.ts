import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { backend, defaultRule, forwardTo, freePort, get, harness, listener, named, rule, sleep, target, targetGroup, until, type Backend, type Harness } from './fixture.js';

// The ALB listener end to end: real node:http backends on 127.0.0.1, the
// data plane in front, plain HTTP clients.

let h: Harness;
let a: Backend;
let b: Backend;
const closers: Array<() => Promise<void>> = [];

before(async () => {
  h = harness();
  a = await backend(named('a'));
  b = await backend(named('b'));
});

after(async () => {
  await h.close();
  await Promise.all([a.close(), b.close(), ...closers.map((c) => c())]);
});

/** A listener on a fresh port forwarding (default rule) to one target group of `targets`. */
async function simple(tgOver: Parameters<typeof targetGroup>[2] = {}, targets = [target(a.port), target(b.port)], lOver: Parameters<typeof listener>[3] = {}) {
  const port = await freePort();
  const tg = targetGroup(`tg/${port}`, targets, tgOver);
  const l = listener(`listener/${port}`, port, [defaultRule(forwardTo(tg.arn))], lOver);
  const res = await h.apply({ listeners: [l], targetGroups: [tg] });
  assert.deepEqual(res.failed, []);
  return { port, tg, l };
}

test('round robin spreads requests evenly over healthy targets', async () => {
  const { port } = await simple();
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) seen.push((await get(port)).body);
  assert.equal(seen.filter((s) => s === 'a').length, 5);
  assert.equal(seen.filter((s) => s === 'b').length, 5);
  for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], 'alternates');
});

test('rules route by path and host; fixed-response and redirect answer without a target', async () => {
  const port = await freePort();
  const tgA = targetGroup('tg/rules-a', [target(a.port)]);
  const tgB = targetGroup('tg/rules-b', [target(b.port)]);
  const l = listener('listener/rules', port, [
    rule(10, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }], forwardTo(tgB.arn)),
    rule(20, [{ Field: 'host-header', HostHeaderConfig: { Values: ['fixed.example.com'] } }], {
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '404', ContentType: 'application/json', MessageBody: '{"missing":true}' },
    }),
    rule(30, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/old/*'] } }], {
      Type: 'redirect',
      RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: 'new.example.com', Path: '/new/#{path}', StatusCode: 'HTTP_301' },
    }),
    defaultRule(forwardTo(tgA.arn)),
  ]);
  assert.deepEqual((await h.apply({ listeners: [l], targetGroups: [tgA, tgB] })).failed, []);

  assert.equal((await get(port, '/api/x')).body, 'b');
  assert.equal((await get(port, '/other')).body, 'a');

  const fixed = await get(port, '/api/x', { headers: { host: 'fixed.example.com' } });
  // Priority 10 wins over 20 for /api/*; elsewhere the host rule answers.
  assert.equal(fixed.body, 'b');
  const fixed2 = await get(port, '/x', { headers: { host: 'fixed.example.com' } });
  assert.equal(fixed2.status, 404);
  assert.equal(fixed2.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(fixed2.body, '{"missing":true}');

  const redirect = await get(port, '/old/page?q=1', { headers: { host: 'old.example.com' } });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.location, 'https://new.example.com:443/new/old/page?q=1');
});

test('X-Forwarded-For is appended, X-Forwarded-Proto/-Port set, X-Amzn-Trace-Id added or given a Self field; hop-by-hop headers dropped', async () => {
  const { port } = await simple({}, [target(a.port)]);
  const r = await get(port, '/headers?x=1', { headers: { 'x-forwarded-for': '203.0.113.7', connection: 'x-private', 'x-private': 'secret', 'x-forwarded-proto': 'gopher' } });
  const seen = JSON.parse(String(r.headers['x-seen-headers'])) as Record<string, string>;
  assert.equal(seen['x-forwarded-for'], '203.0.113.7, 127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-forwarded-port'], String(port));
  assert.match(seen['x-amzn-trace-id']!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  const epoch = parseInt(seen['x-amzn-trace-id']!.slice(7, 15), 16);
  assert.ok(Math.abs(epoch - Date.now() / 1000) < 60);
  assert.equal(seen['x-private'], undefined);
  assert.equal(r.headers['x-seen-url'], '/headers?x=1');

  const root = 'Root=1-67891233-abcdef012345678912345678';
  const r2 = await get(port, '/', { headers: { 'x-amzn-trace-id': `${root};CalledFrom=app` } });
  const trace = (JSON.parse(String(r2.headers['x-seen-headers'])) as Record<string, string>)['x-amzn-trace-id']!;
  assert.match(trace, new RegExp(`^Self=1-[0-9a-f]{8}-[0-9a-f]{24};${root};CalledFrom=app$`));
});

test('request and response bodies stream through (1 MiB each way)', async () => {
  const echo = await backend((req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
  });
  closers.push(echo.close);
  const { port } = await simple({}, [target(echo.port)]);
  const body = Buffer.alloc(1 << 20, 'x').toString();
  const r = await get(port, '/', { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, body.length);
});

/** A raw TCP "backend" that runs `onConnection` on each connection. */
async function rawBackend(onConnection: (s: Socket) => void): Promise<number> {
  const s = createNetServer((sock) => {
    sock.on('error', () => undefined);
    onConnection(sock);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => s.close(() => r())));
  return (s.address() as AddressInfo).port;
}

test('502 as ALB answers it: target down, connection reset before a response, malformed or truncated response', async () => {
  const down = await freePort();
  const reset = await rawBackend((s) => s.once('data', () => s.resetAndDestroy()));
  const garbage = await rawBackend((s) => s.once('data', () => s.end('this is not http\r\n\r\n')));
  const truncated = await rawBackend((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Le')));
  for (const p of [down, reset, garbage, truncated]) {
    const { port } = await simple({}, [target(p)]);
    const r = await get(port);
    assert.equal(r.status, 502, `target ${p}`);
    assert.equal(r.headers.server, 'awselb/2.0');
    assert.match(r.body, /<title>502 Bad Gateway<\/title>/);
  }
});

test('504 when the target does not answer within the idle timeout', async () => {
  const hang = await rawBackend(() => undefined);
  const { port } = await simple({}, [target(hang)], { idleTimeoutMs: 300 });
  const t0 = Date.now();
  const r = await get(port);
  assert.equal(r.status, 504);
  assert.match(r.body, /504 Gateway Time-out/);
  assert.ok(Date.now() - t0 < 3_000);
});

test('503 when the target group has no registered targets, or only draining ones', async () => {
  const { port } = await simple({}, []);
  const r = await get(port);
  assert.equal(r.status, 503);
  assert.match(r.body, /503 Service Temporarily Unavailable/);
  const { port: p2 } = await simple({}, [target(a.port, { state: 'draining', drainUntil: Date.now() + 60_000 })]);
  assert.equal((await get(p2)).status, 503);
});

test('fails open: when every target is unhealthy, all of them get traffic', async () => {
  const { port } = await simple({}, [target(a.port, { state: 'unhealthy' }), target(b.port, { state: 'unhealthy' })]);
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) seen.add((await get(port)).body);
  assert.deepEqual([...seen].sort(), ['a', 'b']);
  // One healthy target: only it gets traffic.
  const { port: p2 } = await simple({}, [target(a.port, { state: 'unhealthy' }), target(b.port, { state: 'healthy' })]);
  for (let i = 0; i < 4; i++) assert.equal((await get(p2)).body, 'b');
});

test('a draining target gets no new request while its request in flight finishes', async () => {
  let release: (() => void) | undefined;
  const slow = await backend((req, res) => {
    if (req.url === '/slow') release = () => res.end('slow-done');
    else res.end('slow');
  });
  closers.push(slow.close);
  const port = await freePort();
  const tg = (state: 'healthy' | 'draining') =>
    targetGroup('tg/drain', [target(slow.port, state === 'draining' ? { state, drainUntil: Date.now() + 10_000 } : {}), target(b.port)]);
  const l = listener('listener/drain', port, [defaultRule(forwardTo('tg/drain'))]);
  await h.apply({ listeners: [l], targetGroups: [tg('healthy')] });
  // Round robin: the first request goes to `slow` and waits there.
  const inFlight = get(port, '/slow');
  assert.ok(await until(() => release !== undefined), 'the slow request reached its target');
  await h.apply({ listeners: [l], targetGroups: [tg('draining')] });
  for (let i = 0; i < 4; i++) assert.equal((await get(port)).body, 'b');
  release!();
  const r = await inFlight;
  assert.equal(r.status, 200);
  assert.equal(r.body, 'slow-done');
});

test('WebSocket-style upgrade is tunnelled to the target and echoes both ways', async () => {
  const ws = await backend((_req, res) => res.end('no upgrade'));
  ws.server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Seen-Xff: ${req.headers['x-forwarded-for']}\r\n\r\n`);
    if (head.length) socket.write(head);
    socket.pipe(socket);
  });
  closers.push(ws.close);
  const { port } = await simple({}, [target(ws.port)]);
  const { socket, headers } = await new Promise<{ socket: Socket; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/ws', headers: { connection: 'Upgrade', upgrade: 'websocket' }, agent: false });
    req.on('upgrade', (res, socket) => resolve({ socket, headers: res.headers }));
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
  assert.equal(headers['x-seen-xff'], '127.0.0.1');
  const echoed = await new Promise<string>((resolve) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= 11) resolve(got);
    });
    socket.write('hello ');
    socket.write('world');
  });
  assert.equal(echoed, 'hello world');
  socket.destroy();
});

test('client hang-ups, garbage and half requests do not bring it down', async () => {
  const slow = await backend((_req, res) => setTimeout(() => res.end('late'), 200));
  closers.push(slow.close);
  const { port } = await simple({}, [target(slow.port), target(a.port)]);
  const junk = [
    'GARBAGE\r\n\r\n',
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc',
    'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'GET / HTTP/1.1\r\n' + 'X-Big: ' + 'a'.repeat(70_000) + '\r\n\r\n',
    'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello',
    '\x00\x01\x02\x03\xff\xfe',
    'GET / HTTP/1.1\r\nHost: x\r\n\r\n', // cut right after sending
  ];
  const sockets: Socket[] = [];
  for (let i = 0; i < 200; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(junk[i % junk.length]!);
    sockets.push(s);
    if (i % 3 === 0) s.destroy();
  }
  await sleep(300);
  for (const s of sockets) s.destroy();
  // Still serving.
  const ok = await get(port);
  assert.equal(ok.status, 200);
  const r = await get(port, '/', { method: 'TRACE' });
  assert.equal(r.status, 405);
});

test('a keep-alive client connection serves many requests; the idle timeout closes it', async () => {
  const { port } = await simple({}, [target(a.port)], { idleTimeoutMs: 400 });
  const s = connect(port, '127.0.0.1');
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => (got.match(/HTTP\/1\.1 200/g) ?? []).length === 2, 2_000);
  assert.equal((got.match(/HTTP\/1\.1 200/g) ?? []).length, 2);
  const t0 = Date.now();
  await closed;
  assert.ok(Date.now() - t0 < 2_000, 'closed by the idle timeout');
});

test('lb_cookie stickiness: AWSALB (and AWSALBCORS) set, and a client presenting it stays on its target', async () => {
  const { port } = await simple({ stickiness: { enabled: true, type: 'lb_cookie', durationMs: 60_000 } });
  const first = await get(port);
  const cookies = first.headers['set-cookie'] ?? [];
  const awsalb = cookies.find((c) => c.startsWith('AWSALB='));
  assert.ok(awsalb, 'AWSALB set');
  assert.ok(cookies.some((c) => c.startsWith('AWSALBCORS=') && c.includes('SameSite=None')));
  const cookie = awsalb.split(';')[0]!;
  for (let i = 0; i < 6; i++) assert.equal((await get(port, '/', { headers: { cookie } })).body, first.body);
  // A cookie naming no target of the group is ignored (and replaced).
  const r = await get(port, '/', { headers: { cookie: 'AWSALB=bm9wZTox' } });
  assert.equal(r.status, 200);
});

test('weighted forward: a group of weight 0 gets nothing; every weight 0 is a 503', async () => {
  const port = await freePort();
  const tgA = targetGroup('tg/w-a', [target(a.port)]);
  const tgB = targetGroup('tg/w-b', [target(b.port)]);
  const weighted = (wa: number, wb: number) =>
    listener('listener/weighted', port, [
      defaultRule({ Type: 'forward', Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: tgA.arn, Weight: wa }, { TargetGroupArn: tgB.arn, Weight: wb }] } }),
    ]);
  await h.apply({ listeners: [weighted(0, 5)], targetGroups: [tgA, tgB] });
  for (let i = 0; i < 5; i++) assert.equal((await get(port)).body, 'b');
  await h.apply({ listeners: [weighted(0, 0)], targetGroups: [tgA, tgB] });
  assert.equal((await get(port)).status, 503);
});

test('ALB refuses a request whose X-Forwarded-For holds more than 30 addresses (463)', async () => {
  const { port } = await simple({}, [target(a.port)]);
  const many = Array.from({ length: 31 }, (_, i) => `10.0.0.${i}`).join(', ');
  assert.equal((await get(port, '/', { headers: { 'x-forwarded-for': many } })).status, 463);
  const thirty = Array.from({ length: 30 }, (_, i) => `10.0.0.${i}`).join(', ');
  assert.equal((await get(port, '/', { headers: { 'x-forwarded-for': thirty } })).status, 200);
});
