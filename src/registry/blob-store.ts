import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { digestOf, parseDigest } from './digest.js';
import type { StorageDriver } from './driver.js';
import { KeyedLock } from './keyed-lock.js';

// Content-addressed blobs, stored once however many repositories hold them,
// after CNCF distribution's layout:
//
//   blobs/sha256/ab/abcd…/data                         the bytes, named by digest
//   repositories/<account>/<region>/<name>/_layers/sha256/abcd…/link
//                                                      "this repository holds it"
//
// A blob becomes visible only by an atomic move of fully verified bytes
// (uploads.ts stages them), and a repository sees it only through its link.
// Linking touches the blob, so garbage collection's grace period protects a
// blob from the moment a push links it until its manifest refers to it.

export interface RepositoryKey {
  accountId: string;
  region: string;
  name: string;
}

export function blobPath(digest: string): string {
  const d = parseDigest(digest);
  if (!d) throw new Error(`not a digest: ${digest}`);
  return `blobs/${d.algorithm}/${d.hex.slice(0, 2)}/${d.hex}/data`;
}

function repositoryPath(repo: RepositoryKey): string {
  return `repositories/${repo.accountId}/${repo.region}/${repo.name}`;
}

function linkPath(repo: RepositoryKey, digest: string): string {
  const d = parseDigest(digest)!;
  return `${repositoryPath(repo)}/_layers/${d.algorithm}/${d.hex}/link`;
}

export class BlobStore {
  readonly driver: StorageDriver;
  readonly #locks = new KeyedLock();

  constructor(driver: StorageDriver) {
    this.driver = driver;
  }

  /** The blob's size, or undefined when no blob has that digest. */
  async size(digest: string): Promise<number | undefined> {
    return (await this.driver.stat(blobPath(digest)))?.size;
  }

  reader(digest: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.driver.reader(blobPath(digest), range);
  }

  /** The blob's size when `repo` holds it (linked, and the bytes exist). */
  async sizeIn(repo: RepositoryKey, digest: string): Promise<number | undefined> {
    if (!(await this.driver.stat(linkPath(repo, digest)))) return undefined;
    return this.size(digest);
  }

  /**
   * true when `repo` holds the blob, which is then touched so garbage
   * collection's grace period covers the manifest push that refers to it.
   */
  retain(repo: RepositoryKey, digest: string, now: number): Promise<boolean> {
    return this.#locks.run(digest, async () => {
      const path = blobPath(digest);
      if (!(await this.driver.stat(linkPath(repo, digest))) || !(await this.driver.stat(path))) return false;
      await this.driver.touch(path, now);
      await this.driver.touch(linkPath(repo, digest), now);
      return true;
    });
  }

  /** Makes an existing blob part of `repo`. false when no blob has that digest. */
  link(repo: RepositoryKey, digest: string, now: number): Promise<boolean> {
    return this.#locks.run(digest, async () => {
      const path = blobPath(digest);
      if (!(await this.driver.stat(path))) return false;
      await this.driver.touch(path, now);
      await this.#writeLink(repo, digest, now);
      return true;
    });
  }

  /** Link files carry the push's time, which garbage collection's grace period counts from. */
  async #writeLink(repo: RepositoryKey, digest: string, now: number): Promise<void> {
    await this.driver.putContent(linkPath(repo, digest), digest);
    await this.driver.touch(linkPath(repo, digest), now);
  }

  unlink(repo: RepositoryKey, digest: string): Promise<void> {
    return this.driver.delete(linkPath(repo, digest).slice(0, -'/link'.length));
  }

  /** Forgets every link of a repository (not repositories nested under its name). */
  removeRepository(repo: RepositoryKey): Promise<void> {
    return this.driver.delete(`${repositoryPath(repo)}/_layers`);
  }

  /**
   * Commits verified staged bytes as the blob `digest` and links it into
   * `repo`: move → link. When the blob exists already (another push won),
   * the staged copy is dropped; the bytes are identical by construction.
   */
  commit(staged: string, digest: string, repo: RepositoryKey, now: number): Promise<void> {
    return this.#locks.run(digest, async () => {
      const path = blobPath(digest);
      if (await this.driver.stat(path)) {
        await this.driver.delete(staged);
        await this.driver.touch(path, now);
      } else {
        await this.driver.move(staged, path);
        await this.driver.touch(path, now);
      }
      await this.#writeLink(repo, digest, now);
    });
  }

  /** Stores small content (manifests) by its digest and links it into `repo`. */
  async putContent(repo: RepositoryKey, data: Buffer, now: number, digest = digestOf(data)): Promise<string> {
    if (await this.driver.stat(blobPath(digest))) {
      await this.link(repo, digest, now);
      return digest;
    }
    const staged = `staging/${randomUUID()}`;
    await this.driver.putContent(staged, data);
    await this.commit(staged, digest, repo, now);
    return digest;
  }

  async getContent(digest: string): Promise<Buffer | undefined> {
    return this.driver.getContent(blobPath(digest));
  }

  /** Every stored blob's digest (garbage collection's sweep walks this). */
  async *digests(): AsyncIterable<string> {
    for (const algorithm of await this.driver.list('blobs')) {
      for (const prefix of await this.driver.list(`blobs/${algorithm}`)) {
        for (const hex of await this.driver.list(`blobs/${algorithm}/${prefix}`)) yield `${algorithm}:${hex}`;
      }
    }
  }

  /** The digests `repo` links to. */
  async linkedDigests(repo: RepositoryKey): Promise<string[]> {
    const out: string[] = [];
    const base = `${repositoryPath(repo)}/_layers`;
    for (const algorithm of await this.driver.list(base)) {
      for (const hex of await this.driver.list(`${base}/${algorithm}`)) out.push(`${algorithm}:${hex}`);
    }
    return out;
  }

  /** Removes `repo`'s link if it was last touched before `olderThan`, under the blob's lock (see sweep). */
  sweepLink(repo: RepositoryKey, digest: string, olderThan: number): Promise<boolean> {
    return this.#locks.run(digest, async () => {
      const info = await this.driver.stat(linkPath(repo, digest));
      if (!info || info.modifiedAt >= olderThan) return false;
      await this.driver.delete(linkPath(repo, digest).slice(0, -'/link'.length));
      return true;
    });
  }

  /**
   * Deletes the blob if it was last touched before `olderThan`, checked under
   * the same lock as link and commit so a concurrent push cannot lose it.
   */
  sweep(digest: string, olderThan: number): Promise<boolean> {
    return this.#locks.run(digest, async () => {
      const path = blobPath(digest);
      const info = await this.driver.stat(path);
      if (!info || info.modifiedAt >= olderThan) return false;
      await this.driver.delete(path.slice(0, -'/data'.length));
      return true;
    });
  }
}
