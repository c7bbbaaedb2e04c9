import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Berth } from './harness.js';

// Raw HTTP against a running berth, for the requests the SDKs never send:
// malformed bodies, broken or hand-made signatures, odd headers. Signing uses
// @smithy/signature-v4 (the signer inside the AWS SDK) with node's crypto.

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** The `Checksum` constructor @smithy/signature-v4 wants, on node:crypto. */
type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): Uint8Array | string =>
  typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

export class NodeSha256 {
  #secret: Uint8Array | string | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret === undefined ? undefined : bytes(secret);
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#secret === undefined ? createHash('sha256') : createHmac('sha256', this.#secret);
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }

  reset(): void {
    this.#hash = this.#fresh();
  }
}

export interface RawRequest {
  method?: string;
  /** Path and query string, e.g. `/` or `/?X-Amz-Signature=…`. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: any;
}

/** Sends one request over a fresh connection and reads the whole answer. */
export function send(b: Berth, req: RawRequest): Promise<RawResponse> {
  const url = new URL(b.endpoint);
  const body = req.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
  return new Promise((resolve, reject) => {
    let settled = false;
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method ?? 'POST',
        path: req.path ?? '/',
        headers: { 'content-length': String(body.length), ...req.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          settled = true;
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
        });
        res.on('error', (e) => {
          if (!settled) reject(e);
        });
      },
    );
    // A server that answers early (413) may close while the body is still being written.
    r.on('error', (e) => {
      if (!settled) setTimeout(() => !settled && reject(e), 2000);
    });
    r.end(body);
  });
}

export function signer(b: Berth, opts: { region?: string; service?: string; accessKeyId?: string; secretAccessKey?: string; applyChecksum?: boolean } = {}): SignatureV4 {
  return new SignatureV4({
    credentials: { accessKeyId: opts.accessKeyId ?? b.accessKeyId, secretAccessKey: opts.secretAccessKey ?? b.secretAccessKey },
    region: opts.region ?? b.region,
    service: opts.service ?? 'ecs',
    sha256: NodeSha256,
    applyChecksum: opts.applyChecksum ?? false,
  });
}

/** The unsigned request the signer starts from: POST / with the given headers and body. */
export function unsignedRequest(b: Berth, headers: Record<string, string>, body: string) {
  const url = new URL(b.endpoint);
  return {
    method: 'POST',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: '/',
    query: {} as Record<string, string>,
    headers: { host: url.host, ...headers },
    body,
  };
}

export interface SignOptions {
  region?: string;
  service?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  signingDate?: Date;
  applyChecksum?: boolean;
}

/** Signs a request with SigV4 (Authorization header) and returns its headers. */
export async function signHeaders(b: Berth, headers: Record<string, string>, body: string, opts: SignOptions = {}): Promise<Record<string, string>> {
  const signed = await signer(b, opts).sign(unsignedRequest(b, headers, body), { signingDate: opts.signingDate });
  return signed.headers as Record<string, string>;
}

/** A json-1.1 ECS call, signed, sent raw. */
export async function ecsCall(b: Berth, operation: string, body: string | object, opts: SignOptions & { extraHeaders?: Record<string, string> } = {}): Promise<RawResponse> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = await signHeaders(b, { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.${operation}`, ...opts.extraHeaders }, text, opts);
  return send(b, { headers, body: text });
}

/** Query-string form of `query` (already-encoded keys/values are encoded again, as the signer expects raw values). */
export function queryString(query: Record<string, string | string[] | null | undefined>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(one)}`);
  }
  return parts.join('&');
}
