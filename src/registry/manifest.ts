// What berth needs to know of a manifest: its kind, the blobs and manifests it
// references, its subject and artifact type. Parsing checks the structure the
// OCI image spec and Docker's schema 2 require; the registry then checks
// that every reference exists before storing anything.

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export const MANIFEST_MEDIA_TYPES: string[] = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex];

/** 4 MiB: the size distribution and ECR accept for a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
  platform?: unknown;
}

export interface ParsedManifest {
  mediaType: string;
  kind: 'image' | 'index';
  /** Blobs that must be in the repository: config and layers (foreign layers with urls excepted). */
  blobs: Descriptor[];
  /** Manifests that must be in the repository (an index's entries). */
  manifests: Descriptor[];
  subject?: Descriptor;
  /** The artifact type the referrers API reports. */
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Bytes of the config and layers (or the entries of an index). */
  contentSize: number;
}

export class ManifestInvalid extends Error {}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

function descriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ManifestInvalid(`${where} is not a descriptor object.`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw new ManifestInvalid(`${where}.mediaType is missing.`);
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) throw new ManifestInvalid(`${where}.digest is not a valid digest.`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new ManifestInvalid(`${where}.size is not a non-negative integer.`);
  return d as unknown as Descriptor;
}

function descriptors(value: unknown, where: string): Descriptor[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ManifestInvalid(`${where} is not an array.`);
  return value.map((v, i) => descriptor(v, `${where}[${i}]`));
}

const FOREIGN = /\.foreign\.|nondistributable/;

/**
 * Parses manifest bytes. `declared` is the Content-Type (or ECR's
 * imageManifestMediaType); without it the manifest's own mediaType decides.
 */
export function parseManifest(bytes: Buffer, declared?: string): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    doc = parsed as Record<string, unknown>;
  } catch {
    throw new ManifestInvalid('The manifest is not a JSON object.');
  }
  const own = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const contentType = declared?.split(';')[0]!.trim();
  let mediaType = contentType && MANIFEST_MEDIA_TYPES.includes(contentType) ? contentType : own;
  if (!mediaType) {
    // An OCI manifest may omit mediaType: tell an image from an index by its members.
    if (doc.schemaVersion === 2 && Array.isArray(doc.manifests)) mediaType = MEDIA.ociIndex;
    else if (doc.schemaVersion === 2 && doc.config !== undefined) mediaType = MEDIA.ociManifest;
  }
  if (mediaType === MEDIA.dockerSchema1 || mediaType === MEDIA.dockerSchema1Signed || doc.schemaVersion === 1) {
    throw new ManifestInvalid('Docker image manifest schema 1 is not supported; push with a current client (schema 2 or OCI).');
  }
  if (!mediaType || !MANIFEST_MEDIA_TYPES.includes(mediaType)) {
    throw new ManifestInvalid(`The manifest media type '${mediaType ?? contentType ?? ''}' is not supported; use one of ${MANIFEST_MEDIA_TYPES.join(', ')}.`);
  }
  if (own !== undefined && own !== mediaType) throw new ManifestInvalid(`The manifest's mediaType '${own}' does not match the declared '${mediaType}'.`);
  if (doc.schemaVersion !== 2) throw new ManifestInvalid('The manifest schemaVersion must be 2.');
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, 'subject');
  const annotations = isStringMap(doc.annotations) ? doc.annotations : undefined;
  if (mediaType === MEDIA.dockerList || mediaType === MEDIA.ociIndex) {
    const manifests = descriptors(doc.manifests, 'manifests');
    if (doc.manifests === undefined) throw new ManifestInvalid('An index must have a manifests array.');
    return {
      mediaType,
      kind: 'index',
      blobs: [],
      manifests,
      subject,
      artifactType: typeof doc.artifactType === 'string' ? doc.artifactType : undefined,
      annotations,
      contentSize: manifests.reduce((sum, m) => sum + m.size, 0),
    };
  }
  const config = descriptor(doc.config, 'config');
  const layers = descriptors(doc.layers, 'layers');
  if (mediaType === MEDIA.dockerManifest && layers.length === 0) throw new ManifestInvalid('A Docker image manifest must have at least one layer.');
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : config.mediaType !== MEDIA.ociEmpty && mediaType === MEDIA.ociManifest && !config.mediaType.startsWith('application/vnd.oci.image.config') ? config.mediaType : undefined;
  return {
    mediaType,
    kind: 'image',
    blobs: [config, ...layers.filter((l) => !(FOREIGN.test(l.mediaType) && l.urls?.length))],
    manifests: [],
    subject,
    artifactType,
    annotations,
    contentSize: config.size + layers.reduce((sum, l) => sum + l.size, 0),
  };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}
