// Stickiness cookies as ALB names them: `AWSALB` (duration-based, lb_cookie)
// with its `AWSALBCORS` twin (SameSite=None; Secure) for cross-origin
// requests, and `AWSALBTG`/`AWSALBTGCORS` for target-group stickiness of a
// weighted forward. The value is opaque to clients; here it is the
// base64url of the target's key (or of the target group ARN). A forged value
// can only name a registered target that may get traffic anyway: the data
// plane checks it against the group before using it.

export const LB_COOKIE = 'AWSALB';
export const LB_COOKIE_CORS = 'AWSALBCORS';
export const TG_COOKIE = 'AWSALBTG';
export const TG_COOKIE_CORS = 'AWSALBTGCORS';

/** The value of cookie `name` in a Cookie header, if present. */
export function readCookie(header: string | string[] | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const h = Array.isArray(header) ? header.join('; ') : header;
  let from = 0;
  while (from < h.length) {
    const at = h.indexOf(name, from);
    if (at < 0) return undefined;
    const before = at === 0 ? ';' : h[at - 1]!;
    const eq = at + name.length;
    if ((before === ';' || before === ' ') && h[eq] === '=') {
      const end = h.indexOf(';', eq + 1);
      return h.slice(eq + 1, end < 0 ? h.length : end).trim();
    }
    from = at + name.length;
  }
  return undefined;
}

export function encodeSticky(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

export function decodeSticky(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    return Buffer.from(value, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

let expiresCache = { second: -1, text: '' };
function expires(atMs: number): string {
  const second = Math.floor(atMs / 1000);
  if (expiresCache.second !== second) expiresCache = { second, text: new Date(second * 1000).toUTCString() };
  return expiresCache.text;
}

/** The two Set-Cookie values (plain and CORS) that keep a client on `value` for `durationMs`. */
export function stickyCookies(name: string, corsName: string, value: string, now: number, durationMs: number): [string, string] {
  const exp = expires(now + durationMs);
  return [`${name}=${value}; Expires=${exp}; Path=/`, `${corsName}=${value}; Expires=${exp}; Path=/; SameSite=None; Secure`];
}
