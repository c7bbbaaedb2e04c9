import { AwsError } from '../gateway/errors.js';

// PutLogEvents' rules, as the API reference states them. A batch that breaks
// a structural rule (count, size, order, span) fails whole; single events
// outside the accepted time window are rejected while the rest are stored,
// and rejectedLogEventsInfo says which. Events are chronological, so the
// rejected ones are a prefix (too old, expired) and a suffix (too new).

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
/** Each event counts its message's UTF-8 bytes plus this. */
export const EVENT_OVERHEAD_BYTES = 26;
/** An event (message + overhead) may be at most this large. */
export const MAX_EVENT_BYTES = 1_048_576;
export const MAX_FUTURE_MS = 2 * 60 * 60 * 1000;
export const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
export const MAX_SPAN_MS = 24 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface RejectedLogEventsInfo {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

export interface BatchShape {
  /** UTF-8 byte length of each message. */
  byteLengths: number[];
}

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

/** The rules that fail a whole batch before anything is looked up: count, size, order. */
export function checkBatchShape(timestamps: readonly number[], messages: readonly string[]): BatchShape {
  const n = timestamps.length;
  if (n === 0) throw invalid("1 validation error detected: Value '[]' at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1");
  if (n > MAX_BATCH_EVENTS) {
    throw invalid(`1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${MAX_BATCH_EVENTS}`);
  }
  const byteLengths = new Array<number>(n);
  let total = 0;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const len = Buffer.byteLength(messages[i]!, 'utf8');
    byteLengths[i] = len;
    total += len + EVENT_OVERHEAD_BYTES;
    if (len > largest) largest = len;
  }
  if (total > MAX_BATCH_BYTES) throw invalid(`Upload too large: ${total} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
  if (largest + EVENT_OVERHEAD_BYTES > MAX_EVENT_BYTES) throw invalid(`Log event too large: ${largest + EVENT_OVERHEAD_BYTES} bytes exceeds limit of ${MAX_EVENT_BYTES}`);
  for (let i = 1; i < n; i++) {
    if (timestamps[i]! < timestamps[i - 1]!) throw invalid('Log events in a single PutLogEvents request must be in chronological order.');
  }
  return { byteLengths };
}

export interface BatchWindow {
  /** Events [from, to) are stored. */
  from: number;
  to: number;
  rejected: RejectedLogEventsInfo | undefined;
}

/**
 * Which events of a (shape-checked, chronological) batch fall in the window
 * CloudWatch Logs accepts at `now`: not more than 2 hours ahead, not older
 * than 14 days, not older than the group's retention. The accepted events may
 * span at most 24 hours, or the batch fails.
 */
export function acceptedWindow(timestamps: readonly number[], now: number, retentionDays: number | null | undefined): BatchWindow {
  const n = timestamps.length;
  const tooOldBefore = now - MAX_AGE_MS;
  const expiredBefore = retentionDays ? now - retentionDays * DAY_MS : -Infinity;
  const tooNewAfter = now + MAX_FUTURE_MS;
  let tooOldEnd = -1;
  let expiredEnd = -1;
  while (tooOldEnd + 1 < n && timestamps[tooOldEnd + 1]! < tooOldBefore) tooOldEnd++;
  while (expiredEnd + 1 < n && timestamps[expiredEnd + 1]! < expiredBefore) expiredEnd++;
  let tooNewStart = n;
  while (tooNewStart > 0 && timestamps[tooNewStart - 1]! > tooNewAfter) tooNewStart--;
  const from = Math.min(Math.max(tooOldEnd, expiredEnd) + 1, tooNewStart);
  const to = tooNewStart;
  if (to > from && timestamps[to - 1]! - timestamps[from]! > MAX_SPAN_MS) {
    throw invalid('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  }
  const rejected: RejectedLogEventsInfo = {};
  if (tooNewStart < n) rejected.tooNewLogEventStartIndex = tooNewStart;
  if (tooOldEnd >= 0) rejected.tooOldLogEventEndIndex = tooOldEnd;
  if (expiredEnd >= 0) rejected.expiredLogEventEndIndex = expiredEnd;
  return { from, to, rejected: Object.keys(rejected).length ? rejected : undefined };
}

/** The retention periods PutRetentionPolicy accepts, in days. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export function checkRetentionDays(days: number): void {
  if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
    throw invalid(`1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  }
}
