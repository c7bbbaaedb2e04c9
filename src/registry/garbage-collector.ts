import type { Logger } from 'pino';
import { LOG } from '../log.js';
import type { Registry } from './registry.js';
import { keyOf } from './repositories.js';

// Online mark-and-sweep, safe against concurrent pushes:
//
//   mark   every digest a manifest in any repository refers to, and the manifests
//   sweep  links a repository's manifests no longer reach, and blobs nothing
//          marks, but only those untouched for the grace period
//
// A push touches each blob it writes, links or refers to (under the blob's
// lock, the same lock the sweep deletes under), so a blob being pushed is
// always younger than the grace period until its manifest is stored, and the
// next mark sees that manifest. Uploads abandoned for a day are purged.

export interface CollectionResult {
  blobsDeleted: number;
  linksDeleted: number;
  uploadsPurged: number;
}

export const DEFAULT_GRACE_MS = 60 * 60 * 1000;
export const UPLOAD_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export async function collectGarbage(registry: Registry, now: number, opts: { graceMs?: number; log?: Logger } = {}): Promise<CollectionResult> {
  const cutoff = now - (opts.graceMs ?? DEFAULT_GRACE_MS);
  let linksDeleted = 0;
  for (const repo of await registry.repositories.all()) {
    const reached = await registry.images.markedIn(repo);
    for (const digest of await registry.blobs.linkedDigests(keyOf(repo))) {
      if (reached.has(digest)) continue;
      if (await registry.blobs.sweepLink(keyOf(repo), digest, cutoff)) linksDeleted++;
    }
  }
  const marked = await registry.images.marked();
  let blobsDeleted = 0;
  for await (const digest of registry.blobs.digests()) {
    if (!marked.has(digest) && (await registry.blobs.sweep(digest, cutoff))) blobsDeleted++;
  }
  const uploadsPurged = await registry.uploads.purge(now - UPLOAD_MAX_AGE_MS);
  if (blobsDeleted || linksDeleted || uploadsPurged) opts.log?.info({ blobsDeleted, linksDeleted, uploadsPurged, [LOG.operation]: 'gc' }, 'registry garbage collected');
  return { blobsDeleted, linksDeleted, uploadsPurged };
}
