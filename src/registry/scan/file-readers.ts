import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileKind } from './files.js';
import type { EntryBody } from './layer-reader.js';
import { parseApkInstalled } from './parsers/apk.js';
import { parseDpkgStatus } from './parsers/dpkg.js';
import type { FoundPackage } from './parsers/found.js';
import { goPackages, GoBuildInfoScanner } from './parsers/go-buildinfo.js';
import { parseInstalledPackageJson, parsePackageLock } from './parsers/npm.js';
import { parseOsRelease } from './parsers/os-release.js';
import { parsePythonMetadata } from './parsers/python.js';
import { readRpmSqlite } from './parsers/rpmdb.js';
import type { OsRelease } from './types.js';

// Reads one tar entry of a known kind into what it tells about the image.
// Text files are buffered up to MAX_PARSED; the rpm database is copied to a
// temp file (SQLite needs a file); executables are streamed through the Go
// build-info scanner and never held.

export interface Found {
  packages: FoundPackage[];
  notes: string[];
  os?: OsRelease;
  /** A symlinked os-release's target. */
  link?: string;
}

const MiB = 1 << 20;
export const MAX_PARSED = 64 * MiB;
export const MAX_RPMDB = 1024 * MiB;
export const MAX_EXECUTABLE = 256 * MiB;

export async function drain(body: EntryBody): Promise<void> {
  for await (const _ of body) {
    // discarded
  }
}

async function readBounded(body: EntryBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseText(kind: FileKind, text: string, path: string): Found {
  switch (kind) {
    case 'os-release': {
      const os = parseOsRelease(text);
      return os ? { packages: [], notes: [], os } : { packages: [], notes: [] };
    }
    case 'dpkg-status':
      return { packages: parseDpkgStatus(text, path, false), notes: [] };
    case 'dpkg-status-d':
      return { packages: parseDpkgStatus(text, path, true), notes: [] };
    case 'apk-installed':
      return { packages: parseApkInstalled(text, path), notes: [] };
    case 'npm-lock':
      return { packages: parsePackageLock(text, path), notes: [] };
    case 'npm-package':
      return { packages: parseInstalledPackageJson(text, path), notes: [] };
    case 'python-metadata':
      return { packages: parsePythonMetadata(text, path), notes: [] };
    default:
      return { packages: [], notes: [] };
  }
}

async function readRpmdb(body: EntryBody, path: string): Promise<Found> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-rpmdb-'));
  try {
    const file = join(dir, 'rpmdb.sqlite');
    const fh = await open(file, 'w');
    try {
      for await (const c of body) await fh.write(c as Buffer);
    } finally {
      await fh.close();
    }
    return readRpmSqlite(file, path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function readKnownFile(kind: FileKind, path: string, size: number, body: EntryBody): Promise<Found> {
  if (kind === 'rpmdb-bdb') {
    await drain(body);
    return { packages: [], notes: [`${path}: rpm database in BerkeleyDB/NDB format, not read`] };
  }
  const limit = kind === 'rpmdb-sqlite' ? MAX_RPMDB : MAX_PARSED;
  if (size > limit) {
    await drain(body);
    return { packages: [], notes: [`${path}: ${size} bytes, over the ${limit / MiB} MiB limit, not read`] };
  }
  try {
    if (kind === 'rpmdb-sqlite') return await readRpmdb(body, path);
    return parseText(kind, (await readBounded(body)).toString('utf8'), path);
  } catch (err) {
    await drain(body);
    return { packages: [], notes: [`${path}: could not be read (${(err as Error).message})`] };
  }
}

/** Streams a regular file through the Go build-info scanner; undefined when it is not a Go executable. */
export async function readExecutable(path: string, body: EntryBody): Promise<Found | undefined> {
  const scanner = new GoBuildInfoScanner();
  for await (const c of body) if (!scanner.done) scanner.push(c as Buffer);
  const result = scanner.result;
  if (result === undefined) return undefined;
  if (result === 'pre-1.18') return { packages: [], notes: [`${path}: Go binary built before Go 1.18, build info not read`] };
  return { packages: goPackages(result, path), notes: [] };
}
