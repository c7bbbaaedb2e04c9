import type { Readable, Writable } from 'node:stream';

// The storage driver: the only code that touches bytes at rest. Paths are
// '/'-separated keys relative to the driver's root. The filesystem driver is
// the one berth ships; an S3-compatible driver can follow by passing the same
// conformance suite (test/registry/driver-conformance.ts).

export interface ObjectInfo {
  size: number;
  /** Milliseconds since the epoch. */
  modifiedAt: number;
}

export interface StorageDriver {
  stat(path: string): Promise<ObjectInfo | undefined>;
  /** Whole small objects (link files, upload state). undefined when absent. */
  getContent(path: string): Promise<Buffer | undefined>;
  /** Writes a whole object atomically: readers see the old content or the new, never a part. */
  putContent(path: string, data: Buffer | string): Promise<void>;
  /** A stream of the object's bytes, `end` inclusive. Rejects with NotFound when absent. */
  reader(path: string, range?: { start: number; end: number }): Promise<Readable>;
  /** A stream that writes at `offset` (the object's current size; 0 creates it). Not atomic: for staging only. */
  writer(path: string, offset: number): Promise<Writable>;
  /** Renames atomically, replacing `to`. */
  move(from: string, to: string): Promise<void>;
  /** Deletes an object or a whole prefix; absent paths are fine. */
  delete(path: string): Promise<void>;
  /** The names directly under a prefix ([] when absent). */
  list(prefix: string): Promise<string[]>;
  /** Sets an object's modification time (garbage collection's grace period counts from it). */
  touch(path: string, at: number): Promise<void>;
}

export class NotFound extends Error {
  constructor(readonly path: string) {
    super(`no object at ${path}`);
  }
}
