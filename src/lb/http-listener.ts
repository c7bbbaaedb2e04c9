import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import { albPage } from './alb-responses.js';
import type { ListenerConfig } from './config.js';
import { headersObject, headerValue, type ForwardSite } from './forwarded-headers.js';
import { ClientConnection, type ConnectionRouter, type RouteDecision } from './http-connection.js';
import type { RequestHead } from './http1-parse.js';
import { compileRules, type CompiledAction, type CompiledRules } from './listener-actions.js';
import { listen } from './listen.js';
import { LB_LOG } from './log-fields.js';
import type { RequestCounts } from './request-counter.js';
import { chooseTargetGroup, redirectTarget, selectRule, type RequestFacts } from './rules.js';
import { decodeSticky, encodeSticky, LB_COOKIE, LB_COOKIE_CORS, readCookie, stickyCookies, TG_COOKIE, TG_COOKIE_CORS } from './sticky-cookie.js';
import type { RuntimeTarget, TargetGroupRuntime } from './target-group.js';

// An Application Load Balancer listener: a TCP (or TLS) server whose
// connections speak HTTP/1.1 through ClientConnection. Each request is
// matched against the listener's rules (rules.ts); the winning rule's action
// answers: a fixed response, a redirect, or a forward to a target group,
// whose picker names the target (stickiness cookie first). Rules, idle
// timeout and the certificate change in place: apply() never drops a
// connection for them.

export interface ListenerDeps {
  group(arn: string): TargetGroupRuntime | undefined;
  counts: RequestCounts;
  log: Logger;
  now(): number;
  random(): number;
}

const reply = (status: number, headers: Array<[string, string]> = [['Content-Type', 'text/html']], body: Buffer = albPage(status)): RouteDecision => ({
  kind: 'reply',
  status,
  headers,
  body,
});

export class HttpListener implements ConnectionRouter {
  config: ListenerConfig;
  site: ForwardSite;
  readonly #deps: ListenerDeps;
  #server: Server | TlsServer | undefined;
  #compiled: CompiledRules;
  readonly #proto: 'http' | 'https';
  #cert: { cert: Buffer; key: Buffer } | undefined;
  readonly #connections = new Set<ClientConnection>();

  constructor(config: ListenerConfig, deps: ListenerDeps) {
    this.config = config;
    this.#deps = deps;
    this.#proto = config.protocol === 'HTTPS' ? 'https' : 'http';
    this.#compiled = compileRules(config.rules, config.loadBalancerArn, deps.counts);
    this.site = { proto: this.#proto, port: String(config.port), idleTimeoutMs: config.idleTimeoutMs };
  }

  /** Binds the port; rejects with the bind error (EADDRINUSE, EACCES, a certificate file that cannot be read…). */
  async listen(): Promise<void> {
    const c = this.config;
    let server: Server | TlsServer;
    if (this.#proto === 'https') {
      this.#cert = readCertificate(c);
      const tls = createTlsServer({ ...this.#cert, allowHalfOpen: true, ALPNProtocols: ['http/1.1'] }, this.#onConnection);
      tls.on('tlsClientError', () => undefined);
      server = tls;
    } else {
      server = createNetServer({ allowHalfOpen: true, noDelay: true }, this.#onConnection);
    }
    await listen(server, c, this.#deps.log);
    this.#server = server;
  }

  /** New rules, idle timeout or certificate, on the same socket. */
  update(config: ListenerConfig): void {
    this.config = config;
    this.#compiled = compileRules(config.rules, config.loadBalancerArn, this.#deps.counts);
    this.site = { proto: this.#proto, port: String(config.port), idleTimeoutMs: config.idleTimeoutMs };
    if (this.#proto === 'https' && this.#server) {
      try {
        const cert = readCertificate(config);
        if (!this.#cert || !cert.cert.equals(this.#cert.cert) || !cert.key.equals(this.#cert.key)) {
          (this.#server as TlsServer).setSecureContext(cert);
          this.#cert = cert;
        }
      } catch (err) {
        this.#deps.log.warn({ [LB_LOG.listener]: config.arn, [LB_LOG.err]: err }, 'listener certificate unreadable; keeping the previous one');
      }
    }
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      for (const c of this.#connections) c.destroy();
    });
  }

  #onConnection = (sock: Socket): void => {
    this.#connections.add(new ClientConnection(sock, this));
  };

  // ── ConnectionRouter ────────────────────────────────────────────────────

  now(): number {
    return this.#deps.now();
  }

  closed(conn: ClientConnection): void {
    this.#connections.delete(conn);
  }

  routeFailed(err: unknown): void {
    this.#deps.log.error({ [LB_LOG.listener]: this.config.arn, [LB_LOG.err]: err }, 'request routing failed');
  }

  upstreamFailed(target: RuntimeTarget, status: number, why: string): void {
    this.#deps.log.debug({ [LB_LOG.listener]: this.config.arn, [LB_LOG.target]: `${target.address}:${target.port}`, [LB_LOG.status]: status, [LB_LOG.reason]: why }, 'target failed');
  }

  route(head: RequestHead, sourceIp: string): RouteDecision {
    if (head.method === 'TRACE') return reply(405);
    const now = this.#deps.now();
    const compiled = this.#compiled;
    let facts: RequestFacts | undefined;
    let rule = compiled.onlyDefault;
    if (!rule) rule = selectRule(compiled.rules, (facts = requestFacts(head, sourceIp)));
    const act = compiled.actions.get(rule)!;
    switch (act.kind) {
      case 'fixed':
        return reply(act.response.status, [['Content-Type', act.response.contentType]], act.response.body);
      case 'redirect': {
        const r = redirectTarget(act.config, { ...(facts ?? requestFacts(head, sourceIp)), protocol: this.#proto, port: this.config.port });
        return reply(r.status, [
          ['Location', r.location],
          ['Content-Type', 'text/html'],
        ]);
      }
      case 'unsupported':
        return reply(501);
      case 'forward':
        return this.#select(head, act, now) ?? reply(503);
    }
  }

  /** The target group and target of a forward, with the stickiness cookies to set; undefined → 503. */
  #select(head: RequestHead, act: Extract<CompiledAction, { kind: 'forward' }>, now: number): RouteDecision | undefined {
    let cookies: string[] | undefined;
    let arn = act.single;
    let cookieHeader: string | undefined;
    if (arn === undefined) {
      let stuck: string | undefined;
      if (act.groupStickyMs > 0) stuck = decodeSticky(readCookie((cookieHeader = headerValue(head.headers, 'cookie')), TG_COOKIE));
      arn = chooseTargetGroup(act.action, this.#deps.random, stuck);
      if (arn !== undefined && act.groupStickyMs > 0) cookies = stickyCookies(TG_COOKIE, TG_COOKIE_CORS, encodeSticky(arn), now, act.groupStickyMs);
    }
    if (arn === undefined) return undefined;
    act.counters.get(arn)?.count(now);
    const group = this.#deps.group(arn);
    if (!group) return undefined;
    let target: RuntimeTarget | undefined;
    if (group.stickyLbCookie) target = group.stickyTarget(decodeSticky(readCookie(cookieHeader ?? headerValue(head.headers, 'cookie'), LB_COOKIE)));
    target ??= group.pick(now);
    if (!target) return undefined;
    if (group.stickyLbCookie) {
      const c = stickyCookies(LB_COOKIE, LB_COOKIE_CORS, encodeSticky(target.key), now, group.stickyDurationMs);
      cookies = cookies ? [...cookies, ...c] : c;
    }
    return { kind: 'forward', group, target, cookies };
  }
}

function requestFacts(head: RequestHead, sourceIp: string): RequestFacts {
  let path = head.target;
  // Absolute-form (`GET http://host/path`): rules see the path.
  if (!path.startsWith('/') && /^https?:\/\//i.test(path)) {
    const slash = path.indexOf('/', path.indexOf('//') + 2);
    path = slash < 0 ? '/' : path.slice(slash);
  }
  const q = path.indexOf('?');
  const headers = headersObject(head.headers);
  return {
    method: head.method,
    host: headers.host,
    path: q < 0 ? path : path.slice(0, q),
    query: q < 0 ? '' : path.slice(q + 1),
    headers,
    sourceIp,
    rawHeaders: head.headers,
  };
}

function readCertificate(c: ListenerConfig): { cert: Buffer; key: Buffer } {
  if (!c.certificate) throw Object.assign(new Error(`listener ${c.arn} is ${c.protocol} but has no certificate`), { code: 'CertificateNotFound' });
  return { cert: readFileSync(c.certificate.certFile), key: readFileSync(c.certificate.keyFile) };
}
