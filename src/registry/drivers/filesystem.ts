import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { NotFound, type ObjectInfo, type StorageDriver } from '../driver.js';

// Objects are files under one root directory. Atomic writes go through a
// temporary file in the same directory and a rename, so a crash leaves either
// the old object or the new one.

const READ_CHUNK = 1024 * 1024;

export class FilesystemDriver implements StorageDriver {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  #path(key: string): string {
    if (key.split('/').some((part) => part === '..')) throw new Error(`storage key escapes the root: ${key}`);
    return join(this.#root, key);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.#path(key));
      return { size: s.size, modifiedAt: s.mtimeMs };
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async getContent(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#path(key));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
  }

  async putContent(key: string, data: Buffer | string): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomUUID()}.tmp`;
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  }

  async reader(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const path = this.#path(key);
    // Open first so a missing object rejects here rather than failing the stream later.
    const handle = await open(path, 'r').catch((e: unknown) => {
      throw isMissing(e) ? new NotFound(key) : e;
    });
    return handle.createReadStream({ start: range?.start, end: range?.end, highWaterMark: READ_CHUNK, autoClose: true });
  }

  async writer(key: string, offset: number): Promise<Writable> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    return createWriteStream(path, { flags: offset === 0 ? 'w' : 'r+', start: offset, highWaterMark: READ_CHUNK });
  }

  async move(from: string, to: string): Promise<void> {
    const target = this.#path(to);
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(this.#path(from), target);
    } catch (e) {
      if (isMissing(e)) throw new NotFound(from);
      throw e;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { recursive: true, force: true });
  }

  async list(prefix: string): Promise<string[]> {
    try {
      return (await readdir(this.#path(prefix))).filter((name) => !name.endsWith('.tmp'));
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw e;
    }
  }

  async touch(key: string, at: number): Promise<void> {
    const time = new Date(at);
    try {
      await utimes(this.#path(key), time, time);
    } catch (e) {
      if (isMissing(e)) throw new NotFound(key);
      throw e;
    }
  }
}

function isMissing(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}
