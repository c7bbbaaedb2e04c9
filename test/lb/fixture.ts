import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';
import { pino } from 'pino';
import type { DataPlaneConfig, HealthCheckConfig, HealthReport, ListenerConfig, RequestCount, RuleConfig, TargetConfig, TargetGroupConfig } from '../../src/lb/config.js';
import { DataPlane } from '../../src/lb/data-plane.js';

// Shared by the data plane's integration tests: real node:http backends on
// 127.0.0.1 (ephemeral ports), configuration builders, and a plain HTTP
// client (no keep-alive unless asked).

export const quietLog = pino({ level: 'silent' });

export interface Backend {
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function backend(handler: RequestListener): Promise<Backend> {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A backend that answers its name and echoes what it received in headers. */
export function named(name: string): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('x-backend', name);
      res.setHeader('x-seen-headers', JSON.stringify(req.headers));
      res.setHeader('x-seen-url', req.url ?? '');
      res.end(chunks.length ? `${name}:${Buffer.concat(chunks).toString()}` : name);
    });
  };
}

/** A port nothing listens on (bound and released). */
export async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export function healthCheck(over: Partial<HealthCheckConfig> = {}): HealthCheckConfig {
  // A long interval: targets keep the state the test gives them unless a test checks health on purpose.
  return { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/', intervalMs: 60_000, timeoutMs: 1_000, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200', ...over };
}

export function target(port: number, over: Partial<TargetConfig> = {}): TargetConfig {
  return { id: '127.0.0.1', port, address: '127.0.0.1', state: 'healthy', registeredAt: 0, ...over };
}

export function targetGroup(arn: string, targets: TargetConfig[], over: Partial<TargetGroupConfig> = {}): TargetGroupConfig {
  return {
    arn,
    protocol: 'HTTP',
    targetType: 'ip',
    healthCheck: healthCheck(),
    inUse: true,
    deregistrationDelayMs: 0,
    slowStartMs: 0,
    algorithm: 'round_robin',
    stickiness: { enabled: false, type: 'lb_cookie', durationMs: 86_400_000 },
    targets,
    ...over,
  };
}

export function forwardTo(tgArn: string): Action {
  return { Type: 'forward', TargetGroupArn: tgArn, Order: 1 };
}

export function defaultRule(action: Action, arn = 'rule/default'): RuleConfig {
  return { arn, priority: 'default', conditions: [], actions: [action] };
}

export function rule(priority: number, conditions: RuleCondition[], action: Action): RuleConfig {
  return { arn: `rule/${priority}`, priority, conditions, actions: [action] };
}

export function listener(arn: string, port: number, rules: RuleConfig[], over: Partial<ListenerConfig> = {}): ListenerConfig {
  return { arn, loadBalancerArn: 'lb/app/test', loadBalancerType: 'application', address: '127.0.0.1', port, protocol: 'HTTP', idleTimeoutMs: 5_000, rules, ...over };
}

export interface Harness {
  plane: DataPlane;
  health: HealthReport[];
  counts: RequestCount[];
  apply(config: DataPlaneConfig): ReturnType<DataPlane['apply']>;
  close(): Promise<void>;
}

export function harness(opts: { flushIntervalMs?: number; now?: () => number } = {}): Harness {
  const health: HealthReport[] = [];
  const counts: RequestCount[] = [];
  const plane = new DataPlane({ log: quietLog, onHealth: (r) => health.push(r), onRequests: (c) => counts.push(...c), ...opts });
  return { plane, health, counts, apply: (c) => plane.apply(c), close: () => plane.close() };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (or through `agent`), the whole reply read; rejects on a connection error. */
export function get(port: number, path = '/', opts: { method?: string; headers?: Record<string, string>; body?: string; agent?: import('node:http').Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('client timeout')));
    req.end(opts.body);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 20 ms until it holds or `ms` pass. */
export async function until(cond: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}
