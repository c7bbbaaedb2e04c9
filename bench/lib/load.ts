import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import type { Credentials } from './servers.js';

// One client for every target: an undici Pool with keep-alive connections
// sending AWS JSON 1.1 POSTs, each SigV4-signed with the SDK's own signer
// (@smithy/signature-v4, hashing with node:crypto). berth and its anchors are
// driven by exactly this code, so client cost is the same on both sides.

/** SHA-256 / HMAC-SHA-256 for @smithy/signature-v4, from node:crypto. */
class NodeSha256 implements Checksum {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
  update(data: Uint8Array | string): void {
    this.h.update(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
  }
}

function toBytes(d: SourceData): Uint8Array {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  return new Uint8Array(d);
}

export interface JsonTarget {
  name: string;
  endpoint: string;
  credentials: Credentials;
}

export interface CallResult {
  status: number;
  body: string;
}

/** A json-1.1 client for one AWS service at one endpoint. */
export class JsonClient {
  readonly pool: Pool;
  private readonly signer: SignatureV4;
  private readonly url: URL;

  constructor(
    readonly target: JsonTarget,
    private readonly opts: { service: string; targetPrefix: string; region: string; connections: number },
  ) {
    this.url = new URL(target.endpoint);
    if (!/^127\.\d+\.\d+\.\d+$/.test(this.url.hostname)) throw new Error(`benchmarks send traffic to loopback only, not ${target.endpoint}`);
    this.pool = new Pool(this.url.origin, { connections: opts.connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
    this.signer = new SignatureV4({ credentials: target.credentials, region: opts.region, service: opts.service, sha256: NodeSha256 });
  }

  async call(operation: string, input: unknown): Promise<CallResult> {
    const body = JSON.stringify(input);
    const signed = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      port: Number(this.url.port),
      path: '/',
      query: {},
      headers: {
        host: this.url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `${this.opts.targetPrefix}.${operation}`,
        'content-length': String(Buffer.byteLength(body)),
      },
      body,
    });
    const res = await this.pool.request({ method: 'POST', path: '/', headers: signed.headers, body });
    return { status: res.statusCode, body: await res.body.text() };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export interface LoadResult {
  /** Requests completed in the measured phase, failed ones included. */
  requests: number;
  errors: number;
  /** The first few distinct error descriptions. */
  errorSamples: string[];
  seconds: number;
  /** Successful requests per second. */
  perSecond: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
}

/**
 * Runs `op` from `concurrency` workers, each in a loop: first for `warmupMs`
 * (not measured), then for `durationMs` (measured). A worker starts no new
 * request once the phase's time is up, so the loop ends by itself; requests in
 * flight when it ends finish and count.
 */
export async function runLoad(op: () => Promise<CallResult>, opts: { concurrency: number; warmupMs: number; durationMs: number; ok?: (r: CallResult) => boolean }): Promise<LoadResult> {
  const ok = opts.ok ?? ((r: CallResult) => r.status >= 200 && r.status < 300);
  const phase = async (ms: number, record: boolean) => {
    let latencies = new Float64Array(1 << 16);
    let n = 0;
    let errors = 0;
    const samples = new Map<string, number>();
    const noteError = (what: string) => {
      errors++;
      if (samples.size < 5 || samples.has(what)) samples.set(what, (samples.get(what) ?? 0) + 1);
    };
    const start = performance.now();
    const deadline = start + ms;
    const worker = async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const r = await op();
          if (!ok(r)) noteError(`HTTP ${r.status}: ${r.body.slice(0, 200)}`);
        } catch (e) {
          noteError(`${(e as Error).name}: ${(e as Error).message}`);
        }
        if (!record) continue;
        if (n === latencies.length) {
          const bigger = new Float64Array(latencies.length * 2);
          bigger.set(latencies);
          latencies = bigger;
        }
        latencies[n++] = performance.now() - t0;
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    const seconds = (performance.now() - start) / 1000;
    const sorted = latencies.subarray(0, n).sort();
    const pct = (p: number) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!);
    return {
      requests: n,
      errors,
      errorSamples: [...samples].map(([k, v]) => `${v}× ${k}`),
      seconds,
      perSecond: (n - errors) / seconds,
      p50ms: pct(50),
      p99ms: pct(99),
      maxms: n === 0 ? NaN : sorted[n - 1]!,
    };
  };
  if (opts.warmupMs > 0) await phase(opts.warmupMs, false);
  return phase(opts.durationMs, true);
}
