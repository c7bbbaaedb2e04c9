import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { BlobStore } from './blob-store.js';
import type { StorageDriver } from './driver.js';
import { FilesystemDriver } from './drivers/filesystem.js';
import { Images } from './images.js';
import type { ParsedManifest } from './manifest.js';
import { Repositories, type RepositoryRecord } from './repositories.js';
import { Uploads } from './uploads.js';

// One registry: the storage parts both front ends (ECR API, OCI /v2/) share.

export interface PushedImage {
  repo: RepositoryRecord;
  digest: string;
  manifest: ParsedManifest;
  now: number;
}

export class Registry {
  readonly driver: StorageDriver;
  readonly blobs: BlobStore;
  readonly uploads: Uploads;
  readonly repositories: Repositories;
  readonly images: Images;
  readonly #pushListeners: Array<(p: PushedImage) => void> = [];

  constructor(store: Store, opts: { driver?: StorageDriver; dataDir?: string; registryHost: () => string }) {
    this.driver = opts.driver ?? new FilesystemDriver(join(opts.dataDir ?? '.', 'registry'));
    this.blobs = new BlobStore(this.driver);
    this.uploads = new Uploads(this.blobs);
    this.repositories = new Repositories(store, opts.registryHost);
    this.images = new Images(store, this.blobs);
  }

  onPush(listener: (p: PushedImage) => void): void {
    this.#pushListeners.push(listener);
  }

  /** Called by a front end after a manifest is stored (scan on push hooks here). */
  pushed(p: PushedImage): void {
    for (const l of this.#pushListeners) l(p);
  }
}
