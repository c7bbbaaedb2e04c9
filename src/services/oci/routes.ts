import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { KeyLookup } from '../../gateway/sigv4.js';
import { LOG } from '../../log.js';
import type { RegistryPrincipal } from '../../registry/auth-token.js';
import { isRepositoryName } from '../../registry/names.js';
import type { Registry } from '../../registry/registry.js';
import { authenticate, checkDownloadScope, presentedPassword, unauthorized } from './auth.js';
import { blobRoutes, uploadRoutes } from './blobs.js';
import { OciError, toOciError, writeOciError } from './errors.js';
import { catalog, manifestRoutes, referrers, tagList } from './manifests.js';

// The OCI Distribution API (v1.1) under /v2/, beside the AWS APIs on the
// gateway port. Every request is authenticated with an ECR token, which
// names the registry (account and region) it may use; the path names the
// repository and the resource:
//
//   /v2/                              version check
//   /v2/_catalog                      repositories
//   /v2/<name>/manifests/<ref>        GET HEAD PUT DELETE
//   /v2/<name>/blobs/<digest>         GET HEAD DELETE
//   /v2/<name>/blobs/uploads/[<id>]   POST PATCH PUT GET DELETE
//   /v2/<name>/tags/list              GET
//   /v2/<name>/referrers/<digest>     GET

export interface OciDeps {
  registry: Registry;
  keys: KeyLookup;
  log: Logger;
}

export interface OciRequest {
  req: IncomingMessage;
  res: ServerResponse;
  deps: OciDeps;
  principal: RegistryPrincipal;
  query: URLSearchParams;
  now: number;
}

export type OciHandler = (r: OciRequest, name: string, rest: string) => Promise<void>;

const PATHS: Array<[RegExp, (r: OciRequest, m: RegExpExecArray) => Promise<void>]> = [
  [/^\/v2\/(.+)\/blobs\/uploads\/?([^/]*)$/, (r, m) => uploadRoutes(r, m[1]!, decodeSegment(m[2]!))],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, (r, m) => blobRoutes(r, m[1]!, decodeSegment(m[2]!))],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, (r, m) => manifestRoutes(r, m[1]!, decodeSegment(m[2]!))],
  [/^\/v2\/(.+)\/tags\/list$/, (r, m) => tagList(r, m[1]!)],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, (r, m) => referrers(r, m[1]!, decodeSegment(m[2]!))],
];

/** Percent-decodes a path segment; a malformed escape (`%zz`) stays as sent, for the route's own checks to refuse. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function ociRoute(deps: OciDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = req.url ?? '/';
    if (!url.startsWith('/v2/') && url !== '/v2') return false;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const head = req.method === 'HEAD';
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    try {
      const now = Date.now();
      if (path === '/v2/token') return (await token(req, res, deps, now), true);
      const principal = authenticate(req, deps.keys, now, req.method === 'GET' ? query : undefined);
      checkDownloadScope(principal, req.method ?? 'GET', path);
      const r: OciRequest = { req, res, deps, principal, query, now };
      if (path === '/v2/' || path === '/v2') {
        if (req.method !== 'GET' && !head) throw new OciError('UNSUPPORTED', `${req.method} is not supported on /v2/.`);
        return (sendJson(res, 200, {}, head), true);
      }
      if (path === '/v2/_catalog') return (await catalog(r), true);
      for (const [pattern, handle] of PATHS) {
        const m = pattern.exec(path);
        if (!m) continue;
        if (!isRepositoryName(m[1]!)) throw new OciError('NAME_INVALID', `'${m[1]}' is not a valid repository name.`);
        await handle(r, m);
        return true;
      }
      throw new OciError('UNSUPPORTED', `${req.method} ${path} is not part of the OCI distribution API.`, 404);
    } catch (e) {
      const error = toOciError(e);
      if (req.destroyed && !req.complete) {
        // The client went away mid-request (an interrupted push): nothing to answer.
        deps.log.debug({ [LOG.path]: path }, 'registry client disconnected');
        res.destroy();
      } else if (!error) {
        deps.log.error({ err: e, [LOG.path]: path }, 'registry request failed unexpectedly');
        if (!res.headersSent) writeOciError(res, new OciError('UNSUPPORTED', 'berth failed unexpectedly while handling this request; the details are in its log.', 500), head);
        else res.destroy();
      } else if (!res.headersSent) {
        // The body of a refused upload is still arriving: read it away so the client sees the answer.
        if (!req.complete) req.resume();
        writeOciError(res, error, head);
      } else {
        res.destroy();
      }
    }
    return true;
  };
}

/** The Bearer token flow's token endpoint: Basic credentials in, the same ECR token out as a bearer token. */
async function token(req: IncomingMessage, res: ServerResponse, deps: OciDeps, now: number): Promise<void> {
  const password = presentedPassword(req);
  if (password === undefined) throw unauthorized(req, 'authentication required');
  const principal = authenticate(req, deps.keys, now);
  checkDownloadScope(principal, 'POST', '/v2/token');
  sendJson(res, 200, {
    token: password,
    access_token: password,
    expires_in: Math.max(0, Math.floor((principal.expiresAt - now) / 1000)),
    issued_at: new Date(now).toISOString(),
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, head = false, contentType = 'application/json; charset=utf-8'): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(head ? undefined : text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Length', 0);
  res.end();
}

/** Past the limit a refused body is still read, and dropped, up to this much, so the client gets its 413 rather than a reset. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * Reads a small body (manifests) up to `limit` bytes. A larger body is
 * refused (SIZE_INVALID) once the client has sent all of it, up to
 * DRAIN_LIMIT: answering while the client still writes lets the server close
 * the connection under it, and the client sees a reset (EPIPE) instead of
 * its 413. Past DRAIN_LIMIT the connection is dropped.
 */
export function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const tooBig = () => new OciError('SIZE_INVALID', `The body is larger than ${limit} bytes.`, 413);
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      reject(e);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT) {
        fail(tooBig());
        req.destroy();
      } else if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => {
      if (size > limit) return fail(tooBig());
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    });
    req.on('error', fail);
    req.on('close', () => fail(new Error('the client went away before the body was complete')));
  });
}

/** Client-side ends of a download: the connection closed before (or as) the last byte was flushed. */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE']);

export async function streamTo(res: ServerResponse, source: NodeJS.ReadableStream): Promise<void> {
  try {
    await pipeline(source, res);
  } catch (e) {
    // A client that hangs up mid-download (or closes right after the last
    // byte, before the response's 'finish') is not a registry failure.
    if (CLIENT_GONE.has((e as NodeJS.ErrnoException).code ?? '')) return;
    throw e;
  }
}

/** The page size `n` of a listing (tags, catalog), capped. */
export function listingSize(query: URLSearchParams, max = 1000): number {
  const n = query.get('n');
  if (n === null || n === '') return max;
  const value = Number(n);
  if (!Number.isInteger(value) || value < 0) throw new OciError('UNSUPPORTED', `n must be a non-negative integer, not '${n}'.`, 400);
  return Math.min(value, max);
}
