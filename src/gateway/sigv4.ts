import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError } from './errors.js';

// Verification of AWS Signature Version 4, in the Authorization header or in
// a presigned query string. Signing libraries only sign; verifying needs the
// canonical request rebuilt from the raw request exactly as it arrived, so
// this is written here, following the published algorithm.

export interface SignedRequest {
  method: string;
  /** The path as sent, still percent-encoded, without the query string. */
  rawPath: string;
  /** The raw query string, without `?`. */
  rawQuery: string;
  /** Header names in lower case; repeated headers joined with `,`. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Caller {
  accessKeyId: string;
  accountId: string;
  region: string;
  service: string;
}

export interface KeyLookup {
  (accessKeyId: string): { secretAccessKey: string; accountId: string } | undefined;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SKEW_MS = 15 * 60 * 1000;

export interface Signature {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  presigned: boolean;
  expiresSeconds?: number;
}

const incomplete = (m: string) => new AwsError('IncompleteSignatureException', m);
const invalid = (m: string) => new AwsError('InvalidSignatureException', m);

/** Reads the signature's parts, or returns undefined when the request carries none. */
export function readSignature(req: SignedRequest): Signature | undefined {
  const auth = req.headers['authorization'];
  const query = new URLSearchParams(req.rawQuery);
  if (auth !== undefined) return readAuthorizationHeader(auth, req.headers);
  if (query.has('X-Amz-Signature') || query.has('X-Amz-Credential') || query.has('X-Amz-Algorithm')) return readPresigned(query);
  return undefined;
}

function readAuthorizationHeader(auth: string, headers: Record<string, string>): Signature {
  const space = auth.indexOf(' ');
  const algorithm = space < 0 ? auth : auth.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw incomplete(`Unsupported AWS 'algorithm': '${algorithm}'. Authorization=${auth}`);
  }
  const params = new Map<string, string>();
  for (const part of auth.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const amzDate = headers['x-amz-date'] ?? headers['date'];
  const missing: string[] = [];
  for (const p of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params.get(p)) missing.push(`Authorization header requires '${p}' parameter.`);
  }
  if (!amzDate) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length) throw incomplete(`${missing.join(' ')} Authorization=${auth}`);
  return {
    ...readCredential(params.get('Credential')!),
    signedHeaders: params.get('SignedHeaders')!.split(';'),
    signature: params.get('Signature')!,
    amzDate: amzDate!,
    presigned: false,
  };
}

function readPresigned(query: URLSearchParams): Signature {
  const missing = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'].filter((p) => !query.get(p));
  if (missing.length) {
    throw incomplete(`AWS query-string parameters must include ${missing.map((m) => `'${m}'`).join(', ')}. Re-examine the query-string parameters.`);
  }
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${query.get('X-Amz-Algorithm')}'.`);
  const expires = query.get('X-Amz-Expires');
  const expiresSeconds = expires === null ? undefined : Number(expires);
  if (expiresSeconds !== undefined && (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > 604800)) {
    throw incomplete('X-Amz-Expires must be an integer between 1 and 604800 seconds.');
  }
  return {
    ...readCredential(query.get('X-Amz-Credential')!),
    signedHeaders: query.get('X-Amz-SignedHeaders')!.split(';'),
    signature: query.get('X-Amz-Signature')!,
    amzDate: query.get('X-Amz-Date')!,
    presigned: true,
    expiresSeconds,
  };
}

function readCredential(credential: string) {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts.some((p) => p === '')) {
    throw incomplete(`Credential should be scoped to a valid region, not ''. Credential should be scoped to correct service. Credential should be scoped with a valid terminator: 'aws4_request', not '${parts[4] ?? ''}'. Credential=${credential}`);
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (terminator !== 'aws4_request') {
    throw incomplete(`Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`);
  }
  return { accessKeyId, date, region, service };
}

/** Parses `20261121T235959Z` (or an HTTP date) into milliseconds. */
export function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Verifies the request; returns who signed it, or throws the AWS error the request deserves. */
export function verifySignature(req: SignedRequest, sig: Signature, keys: KeyLookup, now: number): Caller {
  const key = keys(sig.accessKeyId);
  if (!key) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');

  const signedAt = parseAmzDate(sig.amzDate);
  if (signedAt === undefined) {
    throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${sig.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }
  const isoDate = formatAmzDate(signedAt);
  if (sig.date !== isoDate.slice(0, 8)) {
    throw invalid(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${sig.date}' != '${isoDate.slice(0, 8)}', from '${isoDate}'.`);
  }
  if (sig.presigned) {
    const expiresAt = signedAt + (sig.expiresSeconds ?? 900) * 1000;
    if (now > expiresAt) {
      throw invalid(`Signature expired: ${formatAmzDate(expiresAt)} is now earlier than ${formatAmzDate(now)}.`);
    }
    if (signedAt - now > SKEW_MS) {
      throw invalid(`Signature not yet current: ${isoDate} is still later than ${formatAmzDate(now + SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`);
    }
  } else if (signedAt < now - SKEW_MS) {
    throw invalid(`Signature expired: ${isoDate} is now earlier than ${formatAmzDate(now - SKEW_MS)} (${formatAmzDate(now)} - 15 min.)`);
  } else if (signedAt > now + SKEW_MS) {
    throw invalid(`Signature not yet current: ${isoDate} is still later than ${formatAmzDate(now + SKEW_MS)} (${formatAmzDate(now)} + 15 min.)`);
  }
  if (!sig.signedHeaders.includes('host')) {
    throw invalid("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  const canonical = canonicalRequest(req, sig);
  const scope = `${sig.date}/${sig.region}/${sig.service}/aws4_request`;
  const stringToSign = [ALGORITHM, sig.amzDate, scope, sha256hex(canonical)].join('\n');
  const signingKey = deriveSigningKey(key.secretAccessKey, sig.date, sig.region, sig.service);
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
  const given = Buffer.from(sig.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' +
        (sig.presigned ? '' : `\n\nThe Canonical String for this request should have been\n'${canonical}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`),
    );
  }
  return { accessKeyId: sig.accessKeyId, accountId: key.accountId, region: sig.region, service: sig.service };
}

export function canonicalRequest(req: SignedRequest, sig: Pick<Signature, 'signedHeaders' | 'presigned'>): string {
  const headers = sig.signedHeaders
    .map((name) => `${name}:${(req.headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  // The payload hash is computed from the body as it arrived; a client's
  // x-amz-content-sha256 header that lies about the body fails the signature.
  const payloadHash = req.headers['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD' ? 'UNSIGNED-PAYLOAD' : sha256hex(req.body);
  return [req.method, canonicalPath(req.rawPath), canonicalQuery(req.rawQuery, sig.presigned), headers, sig.signedHeaders.join(';'), payloadHash].join('\n');
}

function canonicalPath(rawPath: string): string {
  if (rawPath === '' || rawPath === '/') return '/';
  const out: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '.' ) continue;
    if (seg === '..') { out.pop(); continue; }
    out.push(seg);
  }
  let path = out.join('/');
  if (!path.startsWith('/')) path = `/${path}`;
  if (rawPath.endsWith('/') && !path.endsWith('/')) path += '/';
  return path.split('/').map(rfc3986).join('/');
}

function canonicalQuery(rawQuery: string, presigned: boolean): string {
  if (!rawQuery) return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const k = decodeQueryComponent(eq < 0 ? part : part.slice(0, eq));
    const v = eq < 0 ? '' : decodeQueryComponent(part.slice(eq + 1));
    if (presigned && k === 'X-Amz-Signature') continue;
    pairs.push([rfc3986(k), rfc3986(v)]);
  }
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function decodeQueryComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function sha256hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const keyCache = new Map<string, Buffer>();

export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${secret}\0${date}\0${region}\0${service}`;
  const hit = keyCache.get(id);
  if (hit) return hit;
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  const kSigning = createHmac('sha256', kService).update('aws4_request').digest();
  if (keyCache.size > 1000) keyCache.clear();
  keyCache.set(id, kSigning);
  return kSigning;
}
