import type { IncomingMessage } from 'node:http';
import { TOKEN_USER, verifyRegistryPassword, type RegistryPrincipal } from '../../registry/auth-token.js';
import type { KeyLookup } from '../../gateway/sigv4.js';
import { OciError } from './errors.js';

// Who is calling the /v2/ API. ECR's flow: `docker login -u AWS -p <token>`
// sends Basic credentials on every request; clients that run the Bearer
// token flow get the same token back from /v2/token and send it as Bearer.
// No credentials → 401 with the challenge ECR sends.

export const ECR_SERVICE = 'ecr.amazonaws.com';

export function challenge(req: IncomingMessage): string {
  return `Basic realm="http://${req.headers.host ?? 'localhost'}/",service="${ECR_SERVICE}"`;
}

export function unauthorized(req: IncomingMessage, message: string): OciError {
  return new OciError('UNAUTHORIZED', message, 401, { 'WWW-Authenticate': challenge(req) });
}

/** The password from `Authorization`, or undefined when the request carries none. */
export function presentedPassword(req: IncomingMessage, query?: URLSearchParams): string | undefined {
  const header = req.headers.authorization;
  // GetDownloadUrlForLayer's URLs carry the token in the query, as S3's presigned URLs do.
  if (!header) return query?.get(DOWNLOAD_TOKEN_PARAM) ?? undefined;
  // `Bearer` alone (a client with an empty token) is a scheme without credentials.
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') return value;
  if (scheme !== 'basic') throw unauthorized(req, `The ${scheme} authorization scheme is not supported; log in with \`aws ecr get-login-password | docker login --username AWS --password-stdin\`.`);
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0 || decoded.slice(0, colon) !== TOKEN_USER) throw unauthorized(req, `Log in with the user name ${TOKEN_USER} and the password from \`aws ecr get-login-password\`.`);
  return decoded.slice(colon + 1);
}

export const DOWNLOAD_TOKEN_PARAM = 'X-Berth-Token';

export function authenticate(req: IncomingMessage, keys: KeyLookup, now: number, query?: URLSearchParams): RegistryPrincipal {
  const password = presentedPassword(req, query);
  if (password === undefined) throw unauthorized(req, 'authentication required');
  const check = verifyRegistryPassword(password, keys, now);
  if (!check.ok) throw unauthorized(req, check.reason);
  // Only a download URL's token travels in the query; a login token there is refused, so it never leaks into URLs that work.
  if (!req.headers.authorization && check.principal.only === undefined) throw unauthorized(req, 'authentication required');
  return check.principal;
}

/** A download token opens exactly its one blob, for reading. */
export function checkDownloadScope(principal: RegistryPrincipal, method: string, path: string): void {
  if (principal.only === undefined) return;
  const at = principal.only.lastIndexOf('@');
  const allowed = `/v2/${principal.only.slice(0, at)}/blobs/${principal.only.slice(at + 1)}`;
  if ((method !== 'GET' && method !== 'HEAD') || path !== allowed) {
    throw new OciError('DENIED', 'This token comes from GetDownloadUrlForLayer and reads only that one layer; log in with `aws ecr get-login-password` for anything else.');
  }
}
