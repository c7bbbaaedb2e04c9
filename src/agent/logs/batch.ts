// PutLogEvents' rules for one request, as the CloudWatch Logs API reference
// states them and Docker's awslogs driver applies them: at most 10,000
// events, at most 1,048,576 bytes counting each message's UTF-8 bytes plus 26,
// chronological, spanning at most 24 hours; one event at most 256 KiB with
// its 26 bytes (Docker's maximumBytesPerEvent: longer lines are cut).

export const MAX_BATCH_EVENTS = 10_000;
export const MAX_BATCH_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
/** The longest message of one event, in UTF-8 bytes. */
export const MAX_MESSAGE_BYTES = 262_144 - EVENT_OVERHEAD_BYTES;
export const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;

export interface BatchEvent {
  timestamp: number;
  /** UTF-8 length of the message. */
  bytes: number;
}

/**
 * How many of `events[from…]` go in the next request (at least one when any
 * is left). Events must already be chronological: a batch never reorders
 * them (the shipper keeps the stream's order by never letting a timestamp go
 * back).
 */
export function batchLength(events: readonly BatchEvent[], from = 0, to = events.length): number {
  let bytes = 0;
  let n = 0;
  const first = events[from];
  for (let i = from; i < to && n < MAX_BATCH_EVENTS; i++) {
    const e = events[i]!;
    const size = e.bytes + EVENT_OVERHEAD_BYTES;
    if (n > 0 && (bytes + size > MAX_BATCH_BYTES || e.timestamp - first!.timestamp > MAX_BATCH_SPAN_MS)) break;
    bytes += size;
    n++;
  }
  return n;
}

/** Whether queued events (`count`, `bytes` with their overhead) fill a request: send now rather than wait for more. */
export function batchFull(count: number, bytes: number): boolean {
  return count >= MAX_BATCH_EVENTS || bytes >= MAX_BATCH_BYTES;
}
