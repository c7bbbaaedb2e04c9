import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { defaultRule, forwardTo, freePort, harness, listener, sleep, target, targetGroup, until, type Harness } from './fixture.js';

// Network Load Balancer listeners: TCP byte streams and UDP flows to real
// backends on 127.0.0.1.

let h: Harness;
const servers: Server[] = [];

before(() => {
  h = harness();
});

after(async () => {
  await h.close();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

/** A TCP backend that greets with its name, then echoes; on the client's end it answers "bye" and ends. */
async function echo(name: string): Promise<number> {
  const s = createServer({ allowHalfOpen: true }, (sock) => {
    sock.on('error', () => undefined);
    sock.write(`${name}:`);
    sock.on('data', (d: Buffer) => sock.write(d));
    sock.on('end', () => sock.end('bye'));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return (s.address() as AddressInfo).port;
}

function nlb(port: number, tgArn: string, over = {}) {
  return listener(`listener/nlb-${port}`, port, [defaultRule(forwardTo(tgArn))], { loadBalancerType: 'network', protocol: 'TCP', loadBalancerArn: 'lb/net/test', ...over });
}

/** Connects, writes `send`, half-closes, and returns everything read until the proxy closes. */
function exchange(port: number, send: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.write(send);
    s.end();
  });
}

test('a TCP listener pipes each connection to a target, round robin, half-closes included', async () => {
  const a = await echo('a');
  const b = await echo('b');
  const port = await freePort();
  const tg = targetGroup('tg/tcp', [target(a), target(b)], { protocol: 'TCP' });
  assert.deepEqual((await h.apply({ listeners: [nlb(port, tg.arn)], targetGroups: [tg] })).failed, []);
  const got = [await exchange(port, 'hello'), await exchange(port, 'world')];
  assert.deepEqual(got.sort(), ['a:hellobye', 'b:worldbye']);
});

test('a TCP connection to a target that refuses is reset; an idle one is closed after the idle timeout', async () => {
  const down = await freePort();
  const port = await freePort();
  const tg = targetGroup('tg/tcp-down', [target(down)], { protocol: 'TCP' });
  await h.apply({ listeners: [nlb(port, tg.arn)], targetGroups: [tg] });
  await assert.rejects(exchange(port, 'x'), /ECONNRESET|EPIPE/);

  const live = await echo('idle');
  const p2 = await freePort();
  const tg2 = targetGroup('tg/tcp-idle', [target(live)], { protocol: 'TCP' });
  await h.apply({ listeners: [nlb(p2, tg2.arn, { idleTimeoutMs: 300 })], targetGroups: [tg2] });
  const s = connect(p2, '127.0.0.1');
  s.on('error', () => undefined);
  let closed = false;
  s.on('close', () => (closed = true));
  s.resume();
  await sleep(100);
  assert.equal(closed, false);
  assert.ok(await until(() => closed, 2_000), 'closed after the idle timeout');
});

test('a UDP listener relays datagrams to a target and its replies back to the client', async () => {
  const target0 = createSocket('udp4');
  target0.on('message', (msg, rinfo) => target0.send(Buffer.concat([Buffer.from('echo:'), msg]), rinfo.port, rinfo.address));
  await new Promise<void>((r) => target0.bind(0, '127.0.0.1', r));
  const client = createSocket('udp4');
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
  try {
    const port = await freePort();
    const tg = targetGroup('tg/udp', [target(target0.address().port)], { protocol: 'UDP', healthCheck: { ...targetGroup('x', []).healthCheck, protocol: 'TCP' } });
    const res = await h.apply({ listeners: [nlb(port, tg.arn, { protocol: 'UDP' })], targetGroups: [tg] });
    assert.deepEqual(res.failed, []);
    const replies: string[] = [];
    client.on('message', (m) => replies.push(m.toString()));
    client.send('one', port, '127.0.0.1');
    client.send('two', port, '127.0.0.1');
    assert.ok(await until(() => replies.length === 2, 2_000));
    assert.deepEqual(replies.sort(), ['echo:one', 'echo:two']);
  } finally {
    client.close();
    target0.close();
  }
});
