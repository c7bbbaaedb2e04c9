import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import type { ImageEntry } from './runtime.js';

// Images built FROM scratch with the host's static busybox, without a
// registry: berth's helper image (namespace holder and metadata responder),
// and the images tests run. The root filesystem is written as a tar stream for `docker import`.

export const BUSYBOX_PATHS = ['/usr/bin/busybox', '/bin/busybox'] as const;

export type TarEntry = ImageEntry;

/** The host's busybox, checked to be statically linked (a dynamic one cannot run in an empty image). */
export function findStaticBusybox(candidates: readonly string[] = BUSYBOX_PATHS): string {
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      `berth builds its images FROM scratch with a static busybox, and none is at ${candidates.join(' or ')} (Debian/Ubuntu: apt-get install busybox-static)`,
    );
  }
  if (hasInterpreter(found)) {
    throw new Error(`${found} is dynamically linked; berth needs a static busybox to build images FROM scratch (Debian/Ubuntu: apt-get install busybox-static)`);
  }
  return found;
}

/** True when an ELF binary names a program interpreter (PT_INTERP), i.e. is dynamically linked. */
export function hasInterpreter(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    const b = head.subarray(0, n);
    if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = b[4] === 2;
    const le = b[5] === 1;
    const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? b.readBigUInt64LE(0x20) : b.readBigUInt64BE(0x20)) : u32(0x1c);
    const phentsize = u16(is64 ? 0x36 : 0x2a);
    const phnum = u16(is64 ? 0x38 : 0x2c);
    for (let i = 0; i < phnum; i++) {
      const off = phoff + i * phentsize;
      if (off + 4 > b.length) break;
      if (u32(off) === 3) return true; // PT_INTERP
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** A root filesystem: /bin/busybox, a /bin symlink for every applet, and /tmp. */
export function busyboxRootfs(busybox = findStaticBusybox(), extra: TarEntry[] = []): TarEntry[] {
  const listed = spawnSync(busybox, ['--list'], { encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`${busybox} --list failed: ${listed.stderr}`);
  const applets = listed.stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox');
  return [
    { type: 'dir', path: 'bin' },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
    { type: 'file', path: 'bin/busybox', data: readFileSync(busybox), mode: 0o755 },
    ...applets.map((a): TarEntry => ({ type: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    ...extra,
  ];
}

/** A ustar archive of the entries (enough for `docker import`). */
export function tarArchive(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' ? e.data : Buffer.alloc(0);
    blocks.push(tarHeader(e, data.length));
    if (data.length) {
      blocks.push(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) blocks.push(Buffer.alloc(pad));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function tarHeader(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 154);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${e.path}`);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  const mode = e.type === 'symlink' ? 0o777 : (e.mode ?? (e.type === 'dir' ? 0o755 : 0o644));
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode, 7), 100, 8, 'ascii');
  h.write(octal(0, 7), 108, 8, 'ascii');
  h.write(octal(0, 7), 116, 8, 'ascii');
  h.write(octal(size, 11), 124, 12, 'ascii');
  h.write(octal(Math.floor(Date.now() / 1000), 11), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write(e.type === 'file' ? '0' : e.type === 'symlink' ? '2' : '5', 156, 1, 'ascii');
  if (e.type === 'symlink') h.write(e.target, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${octal(sum, 6)}\u0000 `, 148, 8, 'ascii');
  return h;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width, '0') + '\u0000';
}
