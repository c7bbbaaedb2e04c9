import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import type { StatusMatcher } from './health-matcher.js';
import { REASON, type CheckResult } from './health-state.js';

// One health check of one target: an HTTP(S) GET of the path, or a TCP
// connect, on a fresh connection that is closed afterwards (as ELB does),
// bounded by the timeout. Never rejects: every failure is a CheckResult.

export interface ProbeSpec {
  protocol: 'HTTP' | 'HTTPS' | 'TCP';
  address: string;
  port: number;
  path: string;
  timeoutMs: number;
  matcher: StatusMatcher;
}

const USER_AGENT = 'ELB-HealthChecker/2.0';

const TIMED_OUT: CheckResult = { ok: false, reason: REASON.timeout, description: 'Request timed out' };
const FAILED: CheckResult = { ok: false, reason: REASON.failedHealthChecks, description: 'Health checks failed' };
const OK: CheckResult = { ok: true };

export function probe(spec: ProbeSpec): Promise<CheckResult> {
  return spec.protocol === 'TCP' ? probeTcp(spec) : probeHttp(spec);
}

function probeHttp(spec: ProbeSpec): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    let req: ClientRequest | undefined;
    const finish = (r: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req?.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(TIMED_OUT), spec.timeoutMs);
    const host = spec.address.includes(':') ? `[${spec.address}]` : spec.address;
    const options = {
      host: spec.address,
      port: spec.port,
      path: spec.path || '/',
      method: 'GET',
      agent: false as const,
      headers: { host: `${host}:${spec.port}`, 'user-agent': USER_AGENT, connection: 'close' },
    };
    try {
      req = spec.protocol === 'HTTPS' ? httpsRequest({ ...options, rejectUnauthorized: false }) : httpRequest(options);
    } catch {
      finish(FAILED);
      return;
    }
    req.once('response', (res) => {
      res.on('error', () => undefined);
      res.resume();
      const code = res.statusCode ?? 0;
      finish(spec.matcher(code) ? OK : { ok: false, reason: REASON.responseCodeMismatch, description: `Health checks failed with these codes: [${code}]` });
    });
    req.on('error', () => finish(FAILED));
    req.end();
  });
}

function probeTcp(spec: ProbeSpec): Promise<CheckResult> {
  return new Promise((resolve) => {
    let settled = false;
    let socket: Socket | undefined;
    const finish = (r: CheckResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(r);
    };
    // ELB reports Target.Timeout for ALB (HTTP) checks only; a TCP check that times out has failed.
    const timer = setTimeout(() => finish(FAILED), spec.timeoutMs);
    socket = connect({ host: spec.address, port: spec.port });
    socket.once('connect', () => finish(OK));
    socket.on('error', () => finish(FAILED));
  });
}
