// Docker's log timestamps: RFC 3339 with nanoseconds, always UTC
// ("2026-01-31T12:00:00.123456789Z"), and the Engine API's `since`, which
// takes "<seconds>.<nanoseconds>" and keeps entries at or after it, to the
// nanosecond. Kept as bigint nanoseconds: a number cannot hold them exactly.

const NS_PER_SECOND = 1_000_000_000n;
const NS_PER_MS = 1_000_000n;
const SHAPE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Seconds part → seconds since the epoch; the same second repeats for many lines. */
let lastSecondsText = '';
let lastSeconds = 0n;

/** Nanoseconds since the epoch of a Docker timestamp; undefined when it is not one. */
export function parseDockerTime(text: string): bigint | undefined {
  const m = SHAPE.exec(text);
  if (!m) return undefined;
  const key = m[1]! + m[3]!;
  if (key !== lastSecondsText) {
    const ms = Date.parse(m[3] === 'Z' ? `${m[1]}Z` : `${m[1]}${m[3]}`);
    if (Number.isNaN(ms)) return undefined;
    lastSecondsText = key;
    lastSeconds = BigInt(Math.floor(ms / 1000));
  }
  const fraction = m[2] ? BigInt(m[2].padEnd(9, '0')) : 0n;
  return lastSeconds * NS_PER_SECOND + fraction;
}

/** The Engine API's `since` for a time in nanoseconds: entries at or after it. */
export function sinceParameter(ns: bigint): string {
  const s = ns < 0n ? 0n : ns;
  return `${s / NS_PER_SECOND}.${String(s % NS_PER_SECOND).padStart(9, '0')}`;
}

/** Milliseconds since the epoch (what CloudWatch Logs stores), rounded down. */
export function toMillis(ns: bigint): number {
  return Number(ns / NS_PER_MS);
}
