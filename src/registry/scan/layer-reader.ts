import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import type { LayerOpener } from './types.js';

// Opens one layer blob and yields its tar entries in order. The compression
// is read from the magic bytes, not the media type: gzip (1f 8b) is inflated,
// zstd (28 b5 2f fd) is reported and skipped (Node 20 has no zstd), anything
// else is taken for a plain tar.

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** A tar-stream entry (a streamx Readable), as much of it as readers use. */
export interface EntryBody extends AsyncIterable<unknown> {
  resume(): unknown;
}

export type LayerFormat = 'tar' | 'gzip' | 'zstd';

export interface TarEntry {
  header: tar.Header;
  /** Must be read to its end or resumed before the next entry arrives. */
  body: EntryBody;
}

export interface OpenedLayer {
  format: LayerFormat;
  entries(): AsyncGenerator<TarEntry>;
  close(): void;
}

const asBuffer = (chunk: unknown): Buffer => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));

export async function openLayer(open: LayerOpener): Promise<OpenedLayer> {
  const raw = await open();
  const source = raw instanceof Readable ? raw : new Readable().wrap(raw);
  const chunks = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < ZSTD.length) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, asBuffer(next.value)]);
  }
  const format: LayerFormat = head.subarray(0, 4).equals(ZSTD) ? 'zstd' : head.subarray(0, 2).equals(GZIP) ? 'gzip' : 'tar';
  const close = (): void => {
    source.destroy();
  };
  if (format === 'zstd') {
    close();
    return { format, entries: async function* () {}, close };
  }
  const rest = Readable.from(
    (async function* () {
      if (head.length > 0) yield head;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield asBuffer(next.value);
      }
    })(),
    { objectMode: false },
  );
  return {
    format,
    close,
    entries: async function* () {
      const extract = tar.extract();
      const fail = (err: Error): void => {
        extract.destroy(err);
      };
      rest.on('error', fail);
      if (format === 'gzip') {
        const gunzip = createGunzip();
        gunzip.on('error', fail);
        rest.pipe(gunzip).pipe(extract);
      } else {
        rest.pipe(extract);
      }
      try {
        for await (const entry of extract) yield { header: entry.header, body: entry };
      } finally {
        rest.destroy();
        close();
      }
    },
  };
}
