import { AwsError } from '../gateway/errors.js';

// Every token the Logs API hands out. Events are ordered by their key
// (timestamp, seq); seq is the store-wide ingestion sequence, so a key is
// unique and a token that names a key stays correct while events are added.
//
// GetLogEvents tokens look like AWS's: `f/<56 digits>/s` and `b/<56 digits>/s`.
// The digits are the cursor (timestamp, seq) and the stream's id, so a token
// is refused on another stream. A cursor is a gap between events: forward
// reads events with key > cursor, backward reads events with key ≤ cursor.

export interface EventKey {
  timestamp: number;
  seq: number;
}

export const compareKeys = (a: EventKey, b: EventKey): number => a.timestamp - b.timestamp || a.seq - b.seq;

/** The gap before every event: timestamps and sequence numbers are never negative, and seq starts at 1. */
export const ORIGIN: EventKey = { timestamp: 0, seq: 0 };

export interface StreamToken {
  direction: 'f' | 'b';
  cursor: EventKey;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

export function encodeStreamToken(direction: 'f' | 'b', cursor: EventKey, streamId: number): string {
  return `${direction}/${pad(cursor.timestamp, 20)}${pad(cursor.seq, 20)}${pad(streamId, 16)}/s`;
}

export const invalidNextToken = () => new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');

export function decodeStreamToken(token: string, streamId: number): StreamToken {
  const m = /^([fb])\/(\d{20})(\d{20})(\d{16})\/s$/.exec(token);
  if (!m || Number(m[4]) !== streamId) throw invalidNextToken();
  const cursor = { timestamp: Number(m[2]), seq: Number(m[3]) };
  if (!Number.isSafeInteger(cursor.timestamp) || !Number.isSafeInteger(cursor.seq)) throw invalidNextToken();
  return { direction: m[1] as 'f' | 'b', cursor };
}

/** FilterLogEvents' eventId: 56 digits, like AWS's, unique because seq is. */
export const eventId = (k: EventKey): string => `${pad(k.timestamp, 20)}${pad(k.seq, 36)}`;

/** PutLogEvents' nextSequenceToken and DescribeLogStreams' uploadSequenceToken (accepted and ignored, as AWS now does). */
export const sequenceToken = (lastSeq: number): string => pad(lastSeq, 56);

/** An opaque nextToken for listings and FilterLogEvents: the sort key of the last item returned. */
export function encodePageToken(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodePageToken<const K extends readonly ('string' | 'number')[]>(token: string | undefined, kinds: K): { [I in keyof K]: K[I] extends 'string' ? string : number } | undefined {
  if (token === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === kinds.length && key.every((k, i) => typeof k === kinds[i] && (typeof k !== 'number' || Number.isSafeInteger(k)))) {
      return key as never;
    }
  } catch {
    // fall through
  }
  throw invalidNextToken();
}
