import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AwsError } from './errors.js';
import { errorResponse, type Exchange, type Stage } from './pipeline.js';
import { LOG } from '../log.js';

// The one HTTP server. Every AWS API call goes through the pipeline's stages
// in order; other front ends (the registry, the console) mount by path prefix.

export interface GatewayOptions {
  host: string;
  port: number;
  bodyLimitBytes: number;
  pipeline: Stage[];
  log: Logger;
}

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

class BodyTooLarge extends Error {
  /** mustClose: too large even to drain. stillArriving: answered from Content-Length while the body is still on its way. */
  constructor(readonly mustClose: boolean, readonly stillArriving = false) {
    super('body too large');
  }
}

/** How long berth goes on reading a rejected body after it has answered. */
const DRAIN_GRACE_MS = 10_000;

/** Past the limit the body is still read, and dropped, up to this much, so the client gets its 413 instead of a reset mid-upload. */
const DRAIN_LIMIT = 256 * 1024 * 1024;

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    if (declared > DRAIN_LIMIT) return reject(new BodyTooLarge(true));
    if (declared > limit) {
      // Answer at once from the declared length; what the client still sends is read and dropped.
      req.resume();
      return reject(new BodyTooLarge(false, true));
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
      }
      if (size > DRAIN_LIMIT) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge(true));
        return;
      }
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge(false)) : resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

function headerMap(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}

export async function handleAws(req: IncomingMessage, res: ServerResponse, opts: GatewayOptions): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const ex: Exchange = {
    requestId: randomUUID(),
    now: Date.now(),
    method: req.method ?? 'GET',
    rawPath: q < 0 ? url : url.slice(0, q),
    rawQuery: q < 0 ? '' : url.slice(q + 1),
    headers: headerMap(req),
    body: Buffer.alloc(0),
    protocol: req.headers['x-amz-target'] !== undefined ? 'json' : 'query',
  };
  let close = false;
  let drain = false;
  try {
    try {
      ex.body = await readBody(req, opts.bodyLimitBytes);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      close = e.mustClose;
      drain = e.stillArriving;
      throw new AwsError('RequestEntityTooLargeException', `Request body is larger than the limit of ${opts.bodyLimitBytes} bytes.`);
    }
    for (const stage of opts.pipeline) await stage(ex);
  } catch (e) {
    const error = e instanceof AwsError ? e : internal(e, ex, opts.log);
    ex.response = errorResponse(ex, error);
    if (error.status >= 500 || error.status === 413) {
      opts.log.warn({ [LOG.requestId]: ex.requestId, [LOG.operation]: ex.operationName, [LOG.errorCode]: error.code, [LOG.status]: error.status }, error.message.split('\n')[0]);
    } else {
      opts.log.debug({ [LOG.requestId]: ex.requestId, [LOG.operation]: ex.operationName, [LOG.errorCode]: error.code }, 'request failed');
    }
    if (ex.protocol === 'json') res.setHeader('x-amzn-ErrorType', error.code);
  }
  const response = ex.response!;
  res.statusCode = response.status;
  res.setHeader('x-amzn-RequestId', ex.requestId);
  res.setHeader('Content-Type', response.contentType);
  res.setHeader('Content-Length', Buffer.byteLength(response.body));
  if (close) res.setHeader('Connection', 'close');
  if (!drain || req.complete) {
    res.end(response.body);
    return;
  }
  // The client is still uploading: send the whole answer now, but end the
  // response (which lets Node close the socket) only once the upload is done,
  // so the client reads a 413 rather than a reset.
  res.write(response.body);
  await new Promise<void>((done) => {
    const timer = setTimeout(done, DRAIN_GRACE_MS);
    const finish = () => {
      clearTimeout(timer);
      done();
    };
    req.once('end', finish);
    req.once('close', finish);
  });
  res.end();
}

function internal(e: unknown, ex: Exchange, log: Logger): AwsError {
  log.error({ err: e, [LOG.requestId]: ex.requestId, [LOG.operation]: ex.operationName }, 'unexpected failure while handling a request');
  return new AwsError('InternalFailure', `berth failed unexpectedly while handling this request (request id ${ex.requestId}); the details are in berth's log.`);
}

export type Route = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export function startGateway(opts: GatewayOptions, routes: Route[] = []): Promise<Server> {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void (async () => {
      for (const route of routes) if (await route(req, res)) return;
      await handleAws(req, res, opts);
    })().catch((e) => {
      opts.log.error({ err: e }, 'request handling crashed');
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else res.destroy();
    });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 120_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
