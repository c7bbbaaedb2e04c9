import { randomFillSync } from 'node:crypto';

// X-Amzn-Trace-Id as ALB writes it ("Request tracing for your Application
// Load Balancer"): fields `Field=1-<8 hex epoch seconds>-<24 hex id>`,
// separated by ';'.
// - no header: `Root=1-…`;
// - a header with a Root field: a `Self=1-…` field is inserted in front (or
//   an existing Self field's value replaced); other fields are kept;
// - a header without Root (only application fields): a Root is inserted.

// Random ids come from a buffer filled in batches: one getrandom call per
// ~680 requests instead of one per request.
const BATCH = 8192;
const ID_BYTES = 12;
const pool = Buffer.allocUnsafe(BATCH);
let offset = BATCH;

function randomHex24(): string {
  if (offset + ID_BYTES > BATCH) {
    randomFillSync(pool);
    offset = 0;
  }
  const s = pool.toString('hex', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return s;
}

function epochHex(nowMs: number): string {
  return Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, '0');
}

export function newTraceField(nowMs: number): string {
  return `1-${epochHex(nowMs)}-${randomHex24()}`;
}

/** The header to send upstream, given the client's (if any). */
export function traceHeader(incoming: string | undefined, nowMs: number): string {
  if (!incoming) return `Root=${newTraceField(nowMs)}`;
  const fields = incoming.split(';');
  let hasRoot = false;
  let selfAt = -1;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!.trim();
    if (f.startsWith('Root=')) hasRoot = true;
    else if (f.startsWith('Self=')) selfAt = i;
  }
  const kept = incoming.trim();
  if (!hasRoot) return kept ? `Root=${newTraceField(nowMs)};${kept}` : `Root=${newTraceField(nowMs)}`;
  if (selfAt >= 0) {
    fields[selfAt] = `Self=${newTraceField(nowMs)}`;
    return fields.map((f) => f.trim()).join(';');
  }
  return `Self=${newTraceField(nowMs)};${kept}`;
}
