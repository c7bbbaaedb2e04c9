import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogCursor } from './positions.js';

// What a container's shipper persists, one JSON file per task container in
// the engine's state directory (logs/), written to a temporary file and
// renamed, like the task records beside it. Before each PutLogEvents the file
// names the batch in flight (`pending`: how many events, their digest, and the
// cursor after them); after a kill, the stream's last events tell whether that
// batch landed, so it is neither lost nor shipped twice.

export const CURSOR_FORMAT = 1;
/** A temporary file this old belongs to no write in progress. */
const STALE_TMP_MS = 60_000;

export interface PendingBatch {
  count: number;
  /** sha256 of the batch's events (see eventsDigest). */
  digest: string;
  cursor: LogCursor;
  lastTimestamp: number;
}

export interface ShipperState {
  format: typeof CURSOR_FORMAT;
  taskArn: string;
  containerName: string;
  region: string;
  group: string;
  stream: string;
  /** Everything before it is in the stream. */
  cursor: LogCursor;
  /** The timestamp of the last event shipped: no later event goes before it (PutLogEvents wants order). */
  lastTimestamp: number;
  pending?: PendingBatch;
  /** The container stopped and its whole log is in the stream. */
  drained?: boolean;
}

export function eventsDigest(events: ReadonlyArray<{ timestamp: number; message: string }>): string {
  const h = createHash('sha256');
  for (const e of events) h.update(`${e.timestamp}\n${e.message.length}\n`).update(e.message);
  return h.digest('hex');
}

export class CursorStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  #file(taskArn: string, containerName: string): string {
    return join(this.dir, `${createHash('sha256').update(`${taskArn}\n${containerName}`).digest('hex').slice(0, 40)}.json`);
  }

  read(taskArn: string, containerName: string): ShipperState | undefined {
    try {
      const s = JSON.parse(readFileSync(this.#file(taskArn, containerName), 'utf8')) as ShipperState;
      return s.format === CURSOR_FORMAT && s.taskArn === taskArn && s.containerName === containerName ? s : undefined;
    } catch {
      return undefined;
    }
  }

  async write(s: ShipperState): Promise<void> {
    const file = this.#file(s.taskArn, s.containerName);
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(s));
    await rename(tmp, file);
  }

  async remove(taskArn: string, containerName: string): Promise<void> {
    await rm(this.#file(taskArn, containerName), { force: true });
  }

  /** Every state on disk (temporary files a crashed write left a while ago are removed). */
  list(): ShipperState[] {
    const out: ShipperState[] = [];
    for (const f of readdirSync(this.dir)) {
      const path = join(this.dir, f);
      if (f.endsWith('.tmp')) {
        try {
          if (Date.now() - statSync(path).mtimeMs > STALE_TMP_MS) rmSync(path, { force: true });
        } catch {
          // Renamed meanwhile.
        }
        continue;
      }
      if (!f.endsWith('.json')) continue;
      try {
        const s = JSON.parse(readFileSync(path, 'utf8')) as ShipperState;
        if (s.format === CURSOR_FORMAT && s.taskArn) out.push(s);
      } catch {
        rmSync(path, { force: true });
      }
    }
    return out;
  }
}
