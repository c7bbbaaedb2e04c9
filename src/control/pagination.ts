import { AwsError } from '../gateway/errors.js';

// Opaque `nextToken`s: the sort key of the last item returned, so a page
// stays correct while items are added or removed between calls. A token is
// checked against the key's shape before any of it reaches a query.

type KeyKind = 'string' | 'number';
type KeyOf<K extends readonly KeyKind[]> = { [I in keyof K]: K[I] extends 'string' ? string : number };

export function encodeToken(key: (string | number)[]): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key })).toString('base64url');
}

export function decodeToken<const K extends readonly KeyKind[]>(token: string | undefined, kinds: K, errorCode = 'InvalidParameterException'): KeyOf<K> | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v: number; k: unknown[] };
    if (
      parsed.v === 1 &&
      Array.isArray(parsed.k) &&
      parsed.k.length === kinds.length &&
      parsed.k.every((k, i) => typeof k === kinds[i] && (typeof k !== 'number' || Number.isFinite(k)))
    ) {
      return parsed.k as KeyOf<K>;
    }
  } catch {
    // fall through
  }
  throw new AwsError(errorCode, 'The nextToken provided is not valid. Use the nextToken from the previous response.');
}

export function pageSize(maxResults: number | undefined, limit: number, field = 'maxResults', errorCode = 'InvalidParameterException'): number {
  if (maxResults === undefined) return limit;
  if (maxResults < 1 || maxResults > limit) throw new AwsError(errorCode, `${field} must be between 1 and ${limit}.`);
  return maxResults;
}
