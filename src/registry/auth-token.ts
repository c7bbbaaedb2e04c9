import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../control/arns.js';
import type { KeyLookup } from '../gateway/sigv4.js';

// ECR authorization tokens. GetAuthorizationToken hands out
// base64("AWS:" + password); the password is berth's own signed token:
//
//   base64url({"k": accessKeyId, "a": account, "r": region, "e": expiry}) "." base64url(HMAC-SHA256)
//
// signed with a key derived from the caller's secret key, so it needs no
// server-side state, dies with the access key, and names the registry
// (account and region) the /v2/ API serves to its holder.

export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;
export const TOKEN_USER = 'AWS';

export interface RegistryPrincipal extends Scope {
  accessKeyId: string;
  expiresAt: number;
  /** A download token's one object, `<repository>@<digest>`: it may read that blob and nothing else. */
  only?: string;
}

interface Payload {
  k: string;
  a: string;
  r: string;
  e: number;
  s?: string;
}

/** GetDownloadUrlForLayer's URLs last an hour, as ECR's presigned layer URLs do. */
export const DOWNLOAD_LIFETIME_MS = 60 * 60 * 1000;

function signingKey(secret: string): Buffer {
  return createHmac('sha256', `berth-ecr-token:${secret}`).update('v1').digest();
}

export function issueRegistryPassword(
  caller: { accessKeyId: string; accountId: string; region: string },
  secret: string,
  now: number,
  only?: { repository: string; digest: string },
): { password: string; expiresAt: number } {
  const expiresAt = now + (only ? DOWNLOAD_LIFETIME_MS : TOKEN_LIFETIME_MS);
  const payload: Payload = { k: caller.accessKeyId, a: caller.accountId, r: caller.region, e: Math.floor(expiresAt / 1000) };
  if (only) payload.s = `${only.repository}@${only.digest}`;
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', signingKey(secret)).update(body).digest('base64url');
  return { password: `${body}.${mac}`, expiresAt };
}

export type TokenCheck = { ok: true; principal: RegistryPrincipal } | { ok: false; reason: string };

export function verifyRegistryPassword(password: string, keys: KeyLookup, now: number): TokenCheck {
  const dot = password.indexOf('.');
  if (dot < 0) return { ok: false, reason: 'the password is not an ECR authorization token; get one with `aws ecr get-login-password`' };
  const body = password.slice(0, dot);
  let payload: Payload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
    if (typeof payload.k !== 'string' || typeof payload.a !== 'string' || typeof payload.r !== 'string' || typeof payload.e !== 'number') throw new Error('shape');
  } catch {
    return { ok: false, reason: 'the password is not an ECR authorization token; get one with `aws ecr get-login-password`' };
  }
  const key = keys(payload.k);
  if (!key) return { ok: false, reason: 'the access key that requested this token no longer exists' };
  const expected = createHmac('sha256', signingKey(key.secretAccessKey)).update(body).digest();
  const given = Buffer.from(password.slice(dot + 1), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the authorization token is not valid' };
  if (payload.e * 1000 <= now) return { ok: false, reason: 'Your authorization token has expired. Reauthenticate and try again.' };
  if (payload.a !== key.accountId) return { ok: false, reason: 'the authorization token is not valid' };
  return { ok: true, principal: { accessKeyId: payload.k, accountId: payload.a, region: payload.r, expiresAt: payload.e * 1000, only: typeof payload.s === 'string' ? payload.s : undefined } };
}
