import { AwsError } from '../gateway/errors.js';

// Opaque `nextToken`s: the sort key of the last item returned, so a page
// stays correct while items are added or removed between calls.

export function encodeToken(key: unknown[]): string {
  return Buffer.from(JSON.stringify({ v: 1, k: key })).toString('base64url');
}

export function decodeToken(token: string | undefined, errorCode = 'InvalidParameterException'): unknown[] | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v: number; k: unknown[] };
    if (parsed.v === 1 && Array.isArray(parsed.k)) return parsed.k;
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
