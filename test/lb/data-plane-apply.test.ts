import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect, createServer as createNetServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DataPlane } from '../../src/lb/data-plane.js';
import { backend, defaultRule, forwardTo, freePort, get, harness, listener, named, sleep, target, targetGroup, until, type Backend, type Harness } from './fixture.js';

// apply() as a diff: what changes in place, what rebinds, what is reported;
// probe(); request counts.

let h: Harness;
let a: Backend;
let b: Backend;

before(async () => {
  h = harness({ flushIntervalMs: 100 });
  a = await backend(named('a'));
  b = await backend(named('b'));
});

after(async () => {
  await h.close();
  await Promise.all([a.close(), b.close()]);
});

/** A raw keep-alive connection that sends one request at a time and reads one response each. */
function keepAlive(port: number) {
  const s = connect(port, '127.0.0.1');
  let buf = '';
  let closed = false;
  s.on('data', (d: Buffer) => (buf += d.toString()));
  s.on('close', () => (closed = true));
  s.on('error', () => undefined);
  return {
    socket: s,
    get closed() {
      return closed;
    },
    async send(path = '/'): Promise<string> {
      buf = '';
      s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await until(() => /\r\n\r\n/.test(buf) && buf.length > buf.indexOf('\r\n\r\n') + 4 && body(buf).length >= contentLength(buf), 3_000);
      return body(buf);
    },
  };
}
const body = (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4);
const contentLength = (raw: string) => Number(/content-length: (\d+)/i.exec(raw)?.[1] ?? 0);

test('rules and target sets change in place without dropping a keep-alive client connection', async () => {
  const port = await freePort();
  const tg = targetGroup('tg/inplace', [target(a.port)]);
  const l = listener('listener/inplace', port, [defaultRule(forwardTo(tg.arn))]);
  await h.apply({ listeners: [l], targetGroups: [tg] });
  const c = keepAlive(port);
  assert.equal(await c.send(), 'a');

  const fixed: Action = { Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'fixed' } };
  const res = await h.apply({ listeners: [{ ...l, rules: [defaultRule(fixed)] }], targetGroups: [tg] });
  assert.deepEqual(res, { listening: ['listener/inplace'], failed: [] });
  assert.equal(await c.send(), 'fixed');

  await h.apply({ listeners: [l], targetGroups: [{ ...tg, targets: [target(b.port)] }] });
  assert.equal(await c.send(), 'b');
  assert.equal(c.closed, false, 'the same connection served every request');
  c.socket.destroy();
});

test('a removed listener closes its port; a moved one rebinds on the new port', async () => {
  const p1 = await freePort();
  const p2 = await freePort();
  const tg = targetGroup('tg/move', [target(a.port)]);
  const l = listener('listener/move', p1, [defaultRule(forwardTo(tg.arn))]);
  await h.apply({ listeners: [l], targetGroups: [tg] });
  assert.equal((await get(p1)).body, 'a');
  assert.equal(await DataPlane.probe('127.0.0.1', p1), 'in-use');

  await h.apply({ listeners: [{ ...l, port: p2 }], targetGroups: [tg] });
  assert.equal((await get(p2)).body, 'a');
  await assert.rejects(get(p1), /ECONNREFUSED/);

  await h.apply({ listeners: [], targetGroups: [tg] });
  await assert.rejects(get(p2), /ECONNREFUSED/);
  assert.equal(await DataPlane.probe('127.0.0.1', p2), 'free');
});

test('probe() tells a port in use from a free one', async () => {
  const blocker: Server = createNetServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const used = (blocker.address() as { port: number }).port;
  assert.equal(await DataPlane.probe('127.0.0.1', used), 'in-use');
  await new Promise<void>((r) => blocker.close(() => r()));
  assert.equal(await DataPlane.probe('127.0.0.1', used), 'free');
  assert.equal(await DataPlane.probe('192.0.2.1', await freePort()), 'EADDRNOTAVAIL');
});

test('a listener whose port is taken is reported (EADDRINUSE) and bound by a later apply once the port is free', async () => {
  const blocker: Server = createNetServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  const tg = targetGroup('tg/busy', [target(a.port)]);
  const l = listener('listener/busy', port, [defaultRule(forwardTo(tg.arn))]);
  const first = await h.apply({ listeners: [l], targetGroups: [tg] });
  assert.equal(first.failed.length, 1);
  assert.deepEqual({ ...first.failed[0], message: undefined }, { listenerArn: l.arn, address: '127.0.0.1', port, protocol: 'HTTP', code: 'EADDRINUSE', message: undefined });
  assert.deepEqual(first.listening, []);

  await new Promise<void>((r) => blocker.close(() => r()));
  const second = await h.apply({ listeners: [l], targetGroups: [tg] });
  assert.deepEqual(second, { listening: [l.arn], failed: [] });
  assert.equal((await get(port)).body, 'a');
});

test('request counts are flushed per target group × load balancer × minute', async () => {
  const port = await freePort();
  const tg = targetGroup('tg/counted', [target(a.port)]);
  const l = listener('listener/counted', port, [defaultRule(forwardTo(tg.arn))], { loadBalancerArn: 'lb/app/counted' });
  await h.apply({ listeners: [l], targetGroups: [tg] });
  const before = h.counts.length;
  for (let i = 0; i < 3; i++) await get(port);
  const sum = () => h.counts.slice(before).filter((c) => c.targetGroupArn === tg.arn && c.loadBalancerArn === 'lb/app/counted').reduce((n, c) => n + c.requests, 0);
  assert.ok(await until(() => sum() === 3, 2_000), `counted ${sum()}`);
  for (const c of h.counts.slice(before)) assert.equal(c.minute % 60_000, 0);
});

test('an HTTPS listener terminates TLS with the configured certificate and says so in X-Forwarded-Proto', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-lb-cert-'));
  try {
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const port = await freePort();
    const tg = targetGroup('tg/tls', [target(a.port)]);
    const l = listener('listener/tls', port, [defaultRule(forwardTo(tg.arn))], { protocol: 'HTTPS', certificate: { certFile, keyFile } });
    assert.deepEqual((await h.apply({ listeners: [l], targetGroups: [tg] })).failed, []);
    const seen = await new Promise<Record<string, string>>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(JSON.parse(String(res.headers['x-seen-headers'])) as Record<string, string>));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(seen['x-forwarded-proto'], 'https');
    assert.equal(seen['x-forwarded-port'], String(port));

    const missing = await h.apply({ listeners: [{ ...l, arn: 'listener/tls-missing', port: await freePort(), certificate: { certFile: join(dir, 'nope.pem'), keyFile } }], targetGroups: [tg] });
    assert.equal(missing.failed[0]?.code, 'ENOENT');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('close() stops every listener and flushes counts', async () => {
  const local = harness({ flushIntervalMs: 60_000 });
  const port = await freePort();
  const tg = targetGroup('tg/close', [target(a.port)]);
  await local.apply({ listeners: [listener('listener/close', port, [defaultRule(forwardTo(tg.arn))])], targetGroups: [tg] });
  await get(port);
  await local.close();
  assert.equal(local.counts.reduce((n, c) => n + c.requests, 0), 1);
  await assert.rejects(get(port), /ECONNREFUSED/);
  await assert.rejects(local.apply({ listeners: [], targetGroups: [] }), /closed/);
  await sleep(10);
});

