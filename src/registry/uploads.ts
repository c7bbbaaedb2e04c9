import { randomUUID, type Hash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { BlobStore, RepositoryKey } from './blob-store.js';
import { hasher, parseDigest } from './digest.js';

// Staged blob uploads. Bytes are appended to `uploads/<id>/data`; nothing is
// visible as a blob until commit verifies the digest and the blob store moves
// the file into place. The upload's state is its files, so an upload survives
// a restart and resumes at the size on disk; the running hash is kept in
// memory only as a shortcut and is rebuilt from the file when it is missing
// or does not match (after a restart or a broken chunk).

export interface UploadInfo {
  id: string;
  repo: RepositoryKey;
  startedAt: number;
  /** Bytes received so far. */
  size: number;
}

export class UploadError extends Error {
  constructor(
    readonly kind: 'range' | 'digest' | 'incomplete',
    message: string,
    /** The upload's size when it was refused. */
    readonly size = 0,
  ) {
    super(message);
  }
}

interface RunningHash {
  hash: Hash;
  size: number;
}

const dataPath = (id: string) => `uploads/${id}/data`;
const infoPath = (id: string) => `uploads/${id}/info.json`;
const ID = /^[0-9a-f-]{36}$/;

export class Uploads {
  readonly #blobs: BlobStore;
  readonly #hashes = new Map<string, RunningHash>();
  readonly #busy = new Set<string>();

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  get #driver() {
    return this.#blobs.driver;
  }

  async start(repo: RepositoryKey, now: number): Promise<UploadInfo> {
    const id = randomUUID();
    await this.#driver.putContent(dataPath(id), Buffer.alloc(0));
    await this.#driver.putContent(infoPath(id), JSON.stringify({ repo, startedAt: now }));
    this.#hashes.set(id, { hash: hasher('sha256'), size: 0 });
    return { id, repo, startedAt: now, size: 0 };
  }

  /** The upload, when it exists and belongs to `repo`. */
  async get(id: string, repo: RepositoryKey): Promise<UploadInfo | undefined> {
    if (!ID.test(id)) return undefined;
    const info = await this.#info(id);
    const data = await this.#driver.stat(dataPath(id));
    if (!info || !data) return undefined;
    if (info.repo?.accountId !== repo.accountId || info.repo.region !== repo.region || info.repo.name !== repo.name) return undefined;
    return { id, repo: info.repo, startedAt: info.startedAt, size: data.size };
  }

  /**
   * Appends a chunk. `start` (from Content-Range) must be the current size;
   * `length`, when known, must be what arrives. Returns the new size.
   */
  async append(upload: UploadInfo, body: Readable, range?: { start: number; length?: number }): Promise<number> {
    return this.#exclusive(upload, async () => {
      const size = (await this.#driver.stat(dataPath(upload.id)))?.size ?? 0;
      if (range && range.start !== size) {
        body.resume();
        throw new UploadError('range', `The chunk starts at byte ${range.start}, but the upload has ${size} bytes; send the chunk that starts at ${size}.`, size);
      }
      const running = await this.#hashAt(upload.id, size);
      let received = 0;
      const writer = await this.#driver.writer(dataPath(upload.id), size);
      try {
        await pipeline(
          body,
          // Hash exactly what reaches the writer, in order.
          async function* (source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              received += chunk.length;
              running.hash.update(chunk);
              running.size += chunk.length;
              yield chunk;
            }
          },
          writer,
        );
      } catch (e) {
        this.#hashes.delete(upload.id);
        throw e;
      }
      if (range?.length !== undefined && received !== range.length) {
        this.#hashes.delete(upload.id);
        throw new UploadError('incomplete', `The chunk declared ${range.length} bytes but ${received} arrived; the upload has ${size + received} bytes, resume from there.`, size + received);
      }
      return size + received;
    });
  }

  /**
   * Verifies the upload's bytes against `digest` and commits them: verify →
   * move → link. A mismatch deletes the upload; nothing is stored.
   */
  async commit(upload: UploadInfo, digest: string, now: number): Promise<number> {
    return this.#exclusive(upload, async () => {
      const parsed = parseDigest(digest);
      if (!parsed) throw new UploadError('digest', `'${digest}' is not a valid digest.`);
      const size = (await this.#driver.stat(dataPath(upload.id)))?.size ?? 0;
      let actual: string;
      if (parsed.algorithm === 'sha256') {
        const running = await this.#hashAt(upload.id, size);
        actual = `sha256:${running.hash.digest('hex')}`;
      } else {
        actual = await this.#hashFile(upload.id, parsed.algorithm, size).then((h) => `${parsed.algorithm}:${h.digest('hex')}`);
      }
      this.#hashes.delete(upload.id);
      if (actual !== digest) {
        await this.#driver.delete(`uploads/${upload.id}`);
        throw new UploadError('digest', `The uploaded content's digest is ${actual}, not ${digest}; nothing was stored.`);
      }
      await this.#blobs.commit(dataPath(upload.id), digest, upload.repo, now);
      await this.#driver.delete(`uploads/${upload.id}`);
      return size;
    });
  }

  async cancel(upload: UploadInfo): Promise<void> {
    this.#hashes.delete(upload.id);
    await this.#driver.delete(`uploads/${upload.id}`);
  }

  /** Deletes uploads started before `olderThan` (abandoned pushes). */
  async purge(olderThan: number): Promise<number> {
    let purged = 0;
    for (const id of await this.#driver.list('uploads')) {
      if (this.#busy.has(id)) continue;
      const startedAt = await this.#startedAt(id);
      // Neither file yet: start() is creating this upload right now, it is not abandoned.
      if (startedAt === undefined || startedAt >= olderThan) continue;
      this.#hashes.delete(id);
      await this.#driver.delete(`uploads/${id}`);
      purged++;
    }
    return purged;
  }

  /**
   * When the upload started: its info file, or else (a crash between start's
   * two writes) its data's last write. Never 0 for a missing file: start()
   * writes the data before the info, and an upload caught in between must
   * not look a day old.
   */
  async #startedAt(id: string): Promise<number | undefined> {
    return (await this.#info(id))?.startedAt ?? (await this.#driver.stat(dataPath(id)))?.modifiedAt;
  }

  /** The upload's info file; undefined when it is absent or damaged. */
  async #info(id: string): Promise<{ repo: RepositoryKey; startedAt: number } | undefined> {
    const raw = await this.#driver.getContent(infoPath(id));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw.toString('utf8')) as { repo: RepositoryKey; startedAt: number };
    } catch {
      return undefined;
    }
  }

  async #exclusive<T>(upload: UploadInfo, fn: () => Promise<T>): Promise<T> {
    if (this.#busy.has(upload.id)) throw new UploadError('range', 'Another request is writing to this upload; wait for it and resume from the size it reports.');
    this.#busy.add(upload.id);
    try {
      return await fn();
    } finally {
      this.#busy.delete(upload.id);
    }
  }

  /** The running sha256 of the first `size` bytes, rebuilt from the file when memory does not have it. */
  async #hashAt(id: string, size: number): Promise<RunningHash> {
    const known = this.#hashes.get(id);
    if (known && known.size === size) return known;
    const running = { hash: await this.#hashFile(id, 'sha256', size), size };
    this.#hashes.set(id, running);
    return running;
  }

  async #hashFile(id: string, algorithm: 'sha256' | 'sha512', size: number): Promise<Hash> {
    const hash = hasher(algorithm);
    if (size === 0) return hash;
    const reader = await this.#driver.reader(dataPath(id), { start: 0, end: size - 1 });
    for await (const chunk of reader) hash.update(chunk as Buffer);
    return hash;
  }
}
