// An rpm header as rpmdb.sqlite stores it in Packages.blob (the on-disk
// header without its 8-byte magic): int32 index count, int32 data length,
// that many 16-byte index entries (tag, type, offset, count; all big-endian),
// then the data store. Only the tags the scanner needs are read.

export interface RpmHeader {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceRpm?: string;
}

export const TAG = { NAME: 1000, VERSION: 1001, RELEASE: 1002, EPOCH: 1003, ARCH: 1022, SOURCERPM: 1044 } as const;
export const TYPE = { INT32: 4, STRING: 6, STRING_ARRAY: 8, I18NSTRING: 9 } as const;

/** Parses a header blob; undefined when it is malformed or lacks a name, version or release. */
export function parseRpmHeader(blob: Uint8Array): RpmHeader | undefined {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < 8) return undefined;
  const count = buf.readUInt32BE(0);
  const dataLength = buf.readUInt32BE(4);
  const dataStart = 8 + count * 16;
  if (count > 0xffff || dataStart + dataLength > buf.length) return undefined;

  const strings = new Map<number, string>();
  let epoch: number | undefined;
  for (let i = 0; i < count; i++) {
    const at = 8 + i * 16;
    const tag = buf.readUInt32BE(at);
    const type = buf.readUInt32BE(at + 4);
    const offset = buf.readUInt32BE(at + 8);
    if (offset >= dataLength) continue;
    const start = dataStart + offset;
    if (tag === TAG.EPOCH && type === TYPE.INT32 && offset + 4 <= dataLength) {
      epoch = buf.readUInt32BE(start);
    } else if ((type === TYPE.STRING || type === TYPE.I18NSTRING || type === TYPE.STRING_ARRAY) && tagWanted(tag)) {
      const end = buf.indexOf(0, start);
      if (end < 0 || end > dataStart + dataLength) continue;
      strings.set(tag, buf.toString('utf8', start, end));
    }
  }
  const name = strings.get(TAG.NAME);
  const version = strings.get(TAG.VERSION);
  const release = strings.get(TAG.RELEASE);
  if (!name || !version || release === undefined) return undefined;
  const header: RpmHeader = { name, version, release };
  if (epoch !== undefined) header.epoch = epoch;
  const arch = strings.get(TAG.ARCH);
  if (arch) header.arch = arch;
  const sourceRpm = strings.get(TAG.SOURCERPM);
  if (sourceRpm) header.sourceRpm = sourceRpm;
  return header;
}

function tagWanted(tag: number): boolean {
  return tag === TAG.NAME || tag === TAG.VERSION || tag === TAG.RELEASE || tag === TAG.ARCH || tag === TAG.SOURCERPM;
}

/** `openssl-3.0.7-24.el9.src.rpm` → `openssl`: the name is all but the last two dash-separated fields. */
export function sourceRpmName(sourceRpm: string): string | undefined {
  const base = sourceRpm.replace(/\.(no)?src\.rpm$/, '');
  const parts = base.split('-');
  return parts.length >= 3 ? parts.slice(0, -2).join('-') : undefined;
}

/** rpm's EVR notation, the form OSV's rpm-based ecosystems use. */
export function evr(h: RpmHeader): string {
  return `${h.epoch ? `${h.epoch}:` : ''}${h.version}-${h.release}`;
}
