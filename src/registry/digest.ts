import { createHash, type Hash } from 'node:crypto';

// Content digests as the OCI image spec defines them: `algorithm:encoded`.
// sha256 is what every client uses; sha512 is accepted as the spec allows.

const ALGORITHMS = { sha256: 64, sha512: 128 } as const;
export type DigestAlgorithm = keyof typeof ALGORITHMS;

export interface Digest {
  algorithm: DigestAlgorithm;
  hex: string;
}

const FORM = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** undefined unless `text` is a well-formed digest of a supported algorithm. */
export function parseDigest(text: string): Digest | undefined {
  const m = FORM.exec(text);
  if (!m) return undefined;
  const algorithm = m[1] as DigestAlgorithm;
  const length = ALGORITHMS[algorithm];
  if (length === undefined || m[2]!.length !== length || !/^[a-f0-9]+$/.test(m[2]!)) return undefined;
  return { algorithm, hex: m[2]! };
}

export function formatDigest(d: Digest): string {
  return `${d.algorithm}:${d.hex}`;
}

export function hasher(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
