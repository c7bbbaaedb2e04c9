import { readFileSync } from 'node:fs';
import { createServer as createNetServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { ListenerConfig } from './config.js';
import { compileRules, type CompiledAction } from './listener-actions.js';
import { listen } from './listen.js';
import { LB_LOG } from './log-fields.js';
import type { RequestCounts } from './request-counter.js';
import { chooseTargetGroup } from './rules.js';
import { CONNECT_TIMEOUT_MS } from './http-exchange.js';
import type { RuntimeTarget, TargetGroupRuntime } from './target-group.js';
import { hashString } from './target-picker.js';

// A Network Load Balancer TCP or TLS listener: each client connection is
// piped, bytes as they are, to one target chosen by the listener's default
// forward action and the target group's picker (source_ip stickiness hashes
// the client's address). TLS listeners terminate TLS with the configured
// certificate and speak plain TCP (or TLS, for TLS target groups) to the
// target. A connection idle for the listener's idle timeout is closed; a
// target that refuses is answered with a reset, as NLB does.
//
// Deregistration does not cut established connections (NLB's
// deregistration_delay.connection_termination.enabled defaults to false).

export interface StreamListenerDeps {
  group(arn: string): TargetGroupRuntime | undefined;
  counts: RequestCounts;
  log: Logger;
  now(): number;
  random(): number;
}

export function clientIp(socket: Socket): string {
  const a = socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** The forward a network listener's connection or datagram flow follows: group and target, or undefined when nothing may take it. */
export function selectFlowTarget(
  act: CompiledAction | undefined,
  deps: StreamListenerDeps,
  sourceIp: string,
  now: number,
): { group: TargetGroupRuntime; target: RuntimeTarget } | undefined {
  if (act?.kind !== 'forward') return undefined;
  const arn = act.single ?? chooseTargetGroup(act.action, deps.random);
  if (arn === undefined) return undefined;
  act.counters.get(arn)?.count(now);
  const group = deps.group(arn);
  if (!group) return undefined;
  const target = group.stickySourceIp ? group.pickByHash(hashString(sourceIp)) : group.pick(now);
  return target ? { group, target } : undefined;
}

function defaultAction(config: ListenerConfig, counts: RequestCounts): CompiledAction | undefined {
  const compiled = compileRules(config.rules, config.loadBalancerArn, counts);
  const rule = config.rules.find((r) => r.priority === 'default') ?? config.rules[config.rules.length - 1];
  return rule ? compiled.actions.get(rule) : undefined;
}

function reset(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && !socket.destroyed) socket.resetAndDestroy();
  else socket.destroy();
}

export class TcpListener {
  config: ListenerConfig;
  readonly #deps: StreamListenerDeps;
  #server: Server | undefined;
  #action: CompiledAction | undefined;
  #idleMs: number;
  readonly #sockets = new Set<Socket>();

  constructor(config: ListenerConfig, deps: StreamListenerDeps) {
    this.config = config;
    this.#deps = deps;
    this.#action = defaultAction(config, deps.counts);
    this.#idleMs = config.idleTimeoutMs;
  }

  async listen(): Promise<void> {
    const c = this.config;
    let server: Server;
    if (c.protocol === 'TLS') {
      if (!c.certificate) throw Object.assign(new Error(`listener ${c.arn} is TLS but has no certificate`), { code: 'CertificateNotFound' });
      const tlsServer = createTlsServer({ allowHalfOpen: true, cert: readFileSync(c.certificate.certFile), key: readFileSync(c.certificate.keyFile) }, this.#onConnection);
      tlsServer.on('tlsClientError', () => undefined);
      server = tlsServer;
    } else {
      server = createNetServer({ noDelay: true, allowHalfOpen: true }, this.#onConnection);
    }
    await listen(server, c, this.#deps.log);
    this.#server = server;
  }

  update(config: ListenerConfig): void {
    this.config = config;
    this.#action = defaultAction(config, this.#deps.counts);
    this.#idleMs = config.idleTimeoutMs;
    if (config.protocol === 'TLS' && config.certificate && this.#server && 'setSecureContext' in this.#server) {
      try {
        (this.#server as import('node:tls').Server).setSecureContext({ cert: readFileSync(config.certificate.certFile), key: readFileSync(config.certificate.keyFile) });
      } catch (err) {
        this.#deps.log.warn({ [LB_LOG.listener]: config.arn, [LB_LOG.err]: err }, 'listener certificate unreadable; keeping the previous one');
      }
    }
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const c of this.#sockets) c.destroy();
    });
  }

  #onConnection = (client: Socket): void => {
    client.on('error', () => undefined);
    const now = this.#deps.now();
    let sel: ReturnType<typeof selectFlowTarget>;
    try {
      sel = selectFlowTarget(this.#action, this.#deps, clientIp(client), now);
    } catch (err) {
      this.#deps.log.error({ [LB_LOG.listener]: this.config.arn, [LB_LOG.err]: err }, 'connection routing failed');
      sel = undefined;
    }
    if (!sel) {
      reset(client);
      return;
    }
    const { group, target } = sel;
    this.#sockets.add(client);
    target.outstanding++;
    let connected = false;
    let ended = false;
    const up: Socket = group.tls
      ? tlsConnect({ host: target.address, port: target.port, rejectUnauthorized: false })
      : netConnect({ host: target.address, port: target.port, allowHalfOpen: true });
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(connectTimer);
      target.outstanding--;
      this.#sockets.delete(client);
      up.destroy();
      client.destroy();
    };
    const refuse = () => {
      if (ended) return;
      reset(client);
      end();
    };
    const connectTimer = setTimeout(refuse, CONNECT_TIMEOUT_MS);
    up.on('error', () => (connected ? end() : refuse()));
    // Half-closes travel through the pipes (allowHalfOpen); a full close of either side ends the flow.
    // What the target sent before closing still reaches the client: end it, then finish once it is flushed.
    up.on('close', () => {
      if (!connected) return refuse();
      if (client.writableFinished) return end();
      client.once('finish', end);
      client.end();
    });
    client.on('close', end);
    const idle = this.#idleMs;
    client.setTimeout(idle, end);
    up.setTimeout(idle, end);
    up.once(group.tls ? 'secureConnect' : 'connect', () => {
      if (ended) return;
      connected = true;
      clearTimeout(connectTimer);
      up.setNoDelay(true);
      up.pipe(client);
      client.pipe(up);
    });
  };
}
