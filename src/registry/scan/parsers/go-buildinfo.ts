import { goToolchainSemver } from '../versions/semver.js';
import type { FoundPackage } from './found.js';

// Go ≥ 1.18 executables carry their build info inline: a 32-byte header
// starting with "\xff Go buildinf:" (16-byte aligned; byte 15 holds flags, bit
// 2 = strings are inline), then two varint-prefixed strings, the runtime
// version and the module info. The scanner finds it in a stream, so a binary
// is never held in memory; only the bytes after the magic are captured.

export const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const ALIGN = 16;
const HEADER = 32;
const FLAGS_INLINE = 0x2;
/** Module info of real binaries is tens of KiB; this bounds what a hostile file can make us hold. */
const MAX_CAPTURE = 4 << 20;
const ELF = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export interface BuildInfo {
  goVersion: string;
  modinfo: string;
}

type Decoded = BuildInfo | 'more' | 'invalid' | 'pre-1.18';

function uvarint(buf: Buffer, at: number): { value: number; next: number } | 'more' | 'invalid' {
  let value = 0;
  for (let i = 0; i < 10; i++) {
    if (at + i >= buf.length) return 'more';
    const b = buf[at + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) return { value, next: at + i + 1 };
  }
  return 'invalid';
}

/** Decodes the build info that starts at buf[0] (the magic). */
export function decodeBuildInfo(buf: Buffer): Decoded {
  if (buf.length < HEADER) return 'more';
  const ptrSize = buf[14];
  if (ptrSize !== 4 && ptrSize !== 8) return 'invalid';
  if ((buf[15]! & FLAGS_INLINE) === 0) return 'pre-1.18';
  const strings: Buffer[] = [];
  let at = HEADER;
  for (let n = 0; n < 2; n++) {
    const len = uvarint(buf, at);
    if (len === 'more' || len === 'invalid') return len;
    if (len.value > MAX_CAPTURE) return 'invalid';
    if (len.next + len.value > buf.length) return 'more';
    strings.push(buf.subarray(len.next, len.next + len.value));
    at = len.next + len.value;
  }
  const goVersion = strings[0]!.toString('utf8');
  if (!/^(go\d|devel)/.test(goVersion)) return 'invalid';
  let mod = strings[1]!;
  // The linker wraps module info in 16-byte sentinels; debug/buildinfo strips them the same way.
  if (mod.length >= 33 && mod[mod.length - 17] === 0x0a) mod = mod.subarray(16, mod.length - 16);
  return { goVersion, modinfo: mod.toString('utf8') };
}

/** Feeds a file's bytes in order; `result` says what was found once the file ends. */
export class GoBuildInfoScanner {
  #isElf: boolean | undefined;
  /** Bytes not yet ruled out: the tail of the last chunk, or the capture from a candidate magic on. */
  #window: Buffer = Buffer.alloc(0);
  /** File offset of #window[0]. */
  #offset = 0;
  #capturing = false;
  #result: BuildInfo | undefined;
  /** An old-format header was seen; kept only if no inline one follows, as the magic also occurs as plain data. */
  #old = false;

  get done(): boolean {
    return this.#isElf === false || this.#result !== undefined;
  }

  get result(): BuildInfo | 'pre-1.18' | undefined {
    return this.#result ?? (this.#old ? 'pre-1.18' : undefined);
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    this.#window = this.#window.length === 0 ? chunk : Buffer.concat([this.#window, chunk]);
    if (this.#isElf === undefined) {
      if (this.#window.length < ELF.length) return;
      this.#isElf = this.#window.subarray(0, ELF.length).equals(ELF);
    }
    if (!this.#isElf) {
      this.#window = Buffer.alloc(0);
      return;
    }
    this.#advance();
  }

  #advance(): void {
    for (;;) {
      if (!this.#capturing) {
        const at = this.#findAligned();
        if (at < 0) {
          // Keep just enough to see a magic that straddles the next chunk.
          const keep = Math.min(this.#window.length, BUILDINFO_MAGIC.length - 1);
          this.#offset += this.#window.length - keep;
          this.#window = Buffer.from(this.#window.subarray(this.#window.length - keep));
          return;
        }
        this.#offset += at;
        this.#window = this.#window.subarray(at);
        this.#capturing = true;
      }
      const decoded = decodeBuildInfo(this.#window);
      if (decoded === 'more' && this.#window.length <= MAX_CAPTURE) return;
      if (decoded === 'pre-1.18') this.#old = true;
      else if (decoded !== 'more' && decoded !== 'invalid') {
        this.#result = decoded;
        this.#window = Buffer.alloc(0);
        return;
      }
      // Not build info after all (the magic also appears as data, e.g. in the go command itself).
      this.#capturing = false;
      this.#offset += 1;
      this.#window = this.#window.subarray(1);
    }
  }

  #findAligned(): number {
    let from = 0;
    for (;;) {
      const at = this.#window.indexOf(BUILDINFO_MAGIC, from);
      if (at < 0) return -1;
      if ((this.#offset + at) % ALIGN === 0) return at;
      from = at + 1;
    }
  }
}

/** The packages a binary's build info names: the toolchain's `stdlib`, the main module and its dependencies. */
export function goPackages(info: BuildInfo, path: string): FoundPackage[] {
  const found: FoundPackage[] = [];
  const stdlib = goToolchainSemver(info.goVersion);
  if (stdlib) found.push({ ecosystem: 'Go', name: 'stdlib', version: stdlib, path });
  const modules: Array<{ path: string; version: string } | undefined> = [];
  for (const line of info.modinfo.split('\n')) {
    const f = line.split('\t');
    if ((f[0] === 'mod' || f[0] === 'dep') && f[1]) modules.push({ path: f[1], version: f[2] ?? '' });
    // A replacement applies to the module line above it; a local directory (no version) cannot be matched.
    else if (f[0] === '=>' && modules.length > 0) modules[modules.length - 1] = f[2] ? { path: f[1]!, version: f[2] } : undefined;
  }
  for (const m of modules) {
    if (m && m.version !== '' && m.version !== '(devel)') found.push({ ecosystem: 'Go', name: m.path, version: m.version, path });
  }
  return found;
}
