import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { VulnerabilityDatabase, type LayerOpener } from '../../../src/registry/scan/index.js';
import { TAG, TYPE } from '../../../src/registry/scan/parsers/rpm-header.js';
import { SqliteStore } from '../../../src/store/sqlite.js';

// Builders for the test images: tar layers, an rpm database and a Go binary,
// all made here so the tests need neither Docker nor a Go toolchain.

export interface FileSpec {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

export async function tarball(files: FileSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => void chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const f of files) {
    const type = f.type ?? 'file';
    if (type === 'file') pack.entry({ name: f.name, type }, typeof f.content === 'string' ? Buffer.from(f.content) : (f.content ?? Buffer.alloc(0)));
    else pack.entry({ name: f.name, type, ...(f.linkname !== undefined && { linkname: f.linkname }) });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export async function gzipLayer(files: FileSpec[]): Promise<Buffer> {
  return gzipSync(await tarball(files));
}

/** Serves a blob in small chunks, so readers meet files split across chunk boundaries. */
export function opener(blob: Buffer, chunk = 997): LayerOpener {
  return async () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < blob.length; i += chunk) parts.push(blob.subarray(i, i + chunk));
    return Readable.from(parts);
  };
}

export interface RpmSpec {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
}

/** An rpm header blob as rpmdb.sqlite stores it: counts, index entries, data store. */
export function rpmHeaderBlob(spec: RpmSpec): Buffer {
  const entries: Array<{ tag: number; type: number; data: Buffer }> = [];
  const str = (tag: number, s: string): void => void entries.push({ tag, type: TYPE.STRING, data: Buffer.from(`${s}\0`) });
  str(TAG.NAME, spec.name);
  str(TAG.VERSION, spec.version);
  str(TAG.RELEASE, spec.release);
  if (spec.epoch !== undefined) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(spec.epoch);
    entries.push({ tag: TAG.EPOCH, type: TYPE.INT32, data: b });
  }
  if (spec.arch) str(TAG.ARCH, spec.arch);
  if (spec.sourceRpm) str(TAG.SOURCERPM, spec.sourceRpm);
  const index = Buffer.alloc(entries.length * 16);
  const data: Buffer[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    // rpm aligns INT32 data on 4 bytes.
    if (e.type === TYPE.INT32 && offset % 4 !== 0) {
      const pad = 4 - (offset % 4);
      data.push(Buffer.alloc(pad));
      offset += pad;
    }
    index.writeUInt32BE(e.tag, i * 16);
    index.writeUInt32BE(e.type, i * 16 + 4);
    index.writeUInt32BE(offset, i * 16 + 8);
    index.writeUInt32BE(1, i * 16 + 12);
    data.push(e.data);
    offset += e.data.length;
  });
  const head = Buffer.alloc(8);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(offset, 4);
  return Buffer.concat([head, index, ...data]);
}

/** The bytes of an rpmdb.sqlite holding these packages (in WAL mode, as rpm leaves it). */
export function rpmdbSqlite(specs: RpmSpec[]): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-rpmdb-'));
  try {
    const file = join(dir, 'rpmdb.sqlite');
    const db = new BetterSqlite3(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
    for (const s of specs) insert.run(rpmHeaderBlob(s));
    db.close();
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

const MOD_START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const MOD_END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

/**
 * A minimal ELF-prefixed file with a Go ≥ 1.18 build-info blob, laid out as
 * the linker does: the 32-byte header 16-byte aligned, inline strings after.
 * The magic is also planted unaligned before it, as plain data would be.
 */
export function goBinary(goVersion: string, modinfo: string, padding = 5000): Buffer {
  const magic = Buffer.from('\xff Go buildinf:', 'latin1');
  const header = Buffer.alloc(32);
  magic.copy(header, 0);
  header[14] = 8;
  header[15] = 0x2;
  const mod = Buffer.concat([MOD_START, Buffer.from(modinfo), MOD_END]);
  const blob = Buffer.concat([header, uvarint(goVersion.length), Buffer.from(goVersion), uvarint(mod.length), mod]);
  const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  const decoy = Buffer.concat([Buffer.alloc(3), magic]); // lands unaligned
  const before = Buffer.concat([elf, decoy, Buffer.alloc(padding)]);
  const aligned = Buffer.concat([before, Buffer.alloc((16 - (before.length % 16)) % 16)]);
  return Buffer.concat([aligned, blob, Buffer.alloc(1000)]);
}

export function lines(...ls: string[]): string {
  return `${ls.join('\n')}\n`;
}

/** A vulnerability database in a fresh SqliteStore under a new temp dir. */
export async function freshDatabase(): Promise<{ db: VulnerabilityDatabase; dir: string; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-vulndb-'));
  const store = await SqliteStore.open(join(dir, 'berth.sqlite'));
  const close = async (): Promise<void> => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { db: new VulnerabilityDatabase(store), dir, close };
}

/** Writes each file under root, JSON-encoding what is not a string. */
export function writeTree(root: string, files: Record<string, unknown>): void {
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof body === 'string' ? body : JSON.stringify(body));
  }
}
