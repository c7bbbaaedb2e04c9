// HTTP/1.1 message heads and chunked framing, as the proxy needs them: it
// reads a head, decides, rewrites the head, and forwards the body bytes as
// they came (it never decodes or re-encodes a body), so it only has to know
// where each message ends. Pure: bytes in, a parsed head or an error status
// out.
//
// Requests are read strictly (a front-end proxy that is lenient where the
// target is strict is how requests get smuggled): CRLF line ends only, no
// obs-fold, header names are tokens, values have no control characters, one
// Content-Length value, Transfer-Encoding only `chunked` (or `identity`), and
// never both Transfer-Encoding and Content-Length. Responses come from the
// targets and are read as common servers write them: a bare LF also ends a
// line (RFC 9112 §2.2 allows it; CGI scripts behind busybox httpd and the like
// write `Content-Type: text/plain\n\n`), everything else as strictly.

export const MAX_HEAD_BYTES = 64 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const LFCRLF = Buffer.from('\n\r\n');

/** Index just past the blank line (CRLF CRLF) that ends a request head in buf (searching from `from`), or -1. */
export function findHeadEnd(buf: Buffer, from = 0): number {
  const i = buf.indexOf(CRLFCRLF, Math.max(0, from));
  return i < 0 ? -1 : i + 4;
}

/** The same for a response head, where a bare LF also ends a line: the first of LF LF, LF CRLF (CRLF CRLF contains it). */
export function findResponseHeadEnd(buf: Buffer, from = 0): number {
  const start = Math.max(0, from);
  const a = buf.indexOf(LFLF, start);
  const b = buf.indexOf(LFCRLF, start);
  if (a < 0) return b < 0 ? -1 : b + 3;
  if (b < 0) return a + 2;
  return Math.min(a + 2, b + 3);
}

export interface RequestHead {
  method: string;
  /** The request target as received (origin-form, absolute-form, `*`). */
  target: string;
  /** HTTP/1.minor. */
  minor: 0 | 1;
  /** [name, value, name, value, …] as received (values trimmed). */
  headers: string[];
  /** -1 when absent. */
  contentLength: number;
  chunked: boolean;
  /** The client wants the connection closed after the response (Connection: close, or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** Connection: upgrade with an Upgrade header (WebSocket and the like). */
  upgrade: boolean;
  expectContinue: boolean;
}

export interface ResponseHead {
  status: number;
  reason: string;
  minor: 0 | 1;
  headers: string[];
  contentLength: number;
  chunked: boolean;
  /** The target will close the connection after this response. */
  close: boolean;
  /** The target's Keep-Alive timeout hint, in ms, if it gave one. */
  keepAliveMs: number | undefined;
}

export type Parsed<T> = { ok: true; head: T } | { ok: false; status: number };

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB, CR, LF. */
const BAD_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
const DIGITS = /^\d{1,15}$/;

interface Framing {
  contentLength: number;
  chunked: boolean;
  /** A Transfer-Encoding whose final coding is not chunked. */
  otherCoding: boolean;
  /** Codings besides chunked (e.g. gzip, chunked). */
  extraCodings: boolean;
  /** Both Content-Length and Transfer-Encoding. */
  both: boolean;
  conflict: boolean;
  close: boolean;
  keepAlive: boolean;
  upgradeToken: boolean;
  upgradeHeader: boolean;
  expectContinue: boolean;
  keepAliveMs: number | undefined;
}

/** Splits the head buf[0, end) into its first line and validated headers; undefined when malformed. */
function lines(buf: Buffer, end: number, lenient: boolean): { first: string; headers: string[]; f: Framing } | undefined {
  let text: string;
  if (!lenient) text = buf.toString('latin1', 0, end - 4);
  else {
    let stop = end;
    while (stop > 0 && (buf[stop - 1] === 0x0a || buf[stop - 1] === 0x0d)) stop--;
    text = buf.toString('latin1', 0, stop);
  }
  if (BAD_CHAR.test(text)) return undefined;
  let ls = text.split('\r\n');
  // A response with bare-LF line ends (rare): split again on LF alone.
  if (lenient && ls.some((l) => l.indexOf('\n') >= 0)) {
    ls = text.split('\n');
    for (let i = 0; i < ls.length; i++) if (ls[i]!.endsWith('\r')) ls[i] = ls[i]!.slice(0, -1);
  }
  const headers: string[] = [];
  const f: Framing = {
    contentLength: -1,
    chunked: false,
    otherCoding: false,
    extraCodings: false,
    both: false,
    conflict: false,
    close: false,
    keepAlive: false,
    upgradeToken: false,
    upgradeHeader: false,
    expectContinue: false,
    keepAliveMs: undefined,
  };
  let te: string | undefined;
  for (let i = 1; i < ls.length; i++) {
    const line = ls[i]!;
    // A CR or LF left after splitting on CRLF is a bare one: refused.
    if (line.indexOf('\r') >= 0 || line.indexOf('\n') >= 0) return undefined;
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon);
    // Token characters only: no whitespace before the colon, no obs-fold continuation line.
    if (!TOKEN.test(name)) return undefined;
    let a = colon + 1;
    let b = line.length;
    while (a < b && (line.charCodeAt(a) === 0x20 || line.charCodeAt(a) === 0x09)) a++;
    while (b > a && (line.charCodeAt(b - 1) === 0x20 || line.charCodeAt(b - 1) === 0x09)) b--;
    const value = line.slice(a, b);
    headers.push(name, value);
    switch (name.length) {
      case 6: // expect
        if (name.toLowerCase() === 'expect' && value.toLowerCase() === '100-continue') f.expectContinue = true;
        break;
      case 7: // upgrade
        if (name.toLowerCase() === 'upgrade') f.upgradeHeader = true;
        break;
      case 10: {
        const n = name.toLowerCase();
        if (n === 'connection') {
          for (const tok of value.split(',')) {
            const t = tok.trim().toLowerCase();
            if (t === 'close') f.close = true;
            else if (t === 'keep-alive') f.keepAlive = true;
            else if (t === 'upgrade') f.upgradeToken = true;
          }
        } else if (n === 'keep-alive') {
          const t = /(?:^|[\s,])timeout=(\d{1,6})/i.exec(value);
          if (t) f.keepAliveMs = Number(t[1]) * 1000;
        }
        break;
      }
      case 14: // content-length
        if (name.toLowerCase() === 'content-length') {
          // A list of identical values ("5, 5") is one value; anything else is a conflict.
          for (const v of value.split(',')) {
            const s = v.trim();
            if (!DIGITS.test(s)) return undefined;
            const n = Number(s);
            if (f.contentLength >= 0 && f.contentLength !== n) f.conflict = true;
            f.contentLength = n;
          }
        }
        break;
      case 17: // transfer-encoding
        if (name.toLowerCase() === 'transfer-encoding') te = te === undefined ? value : `${te}, ${value}`;
        break;
    }
  }
  if (te !== undefined) {
    const codings = te
      .split(',')
      .map((c) => c.trim().toLowerCase())
      .filter((c) => c && c !== 'identity');
    if (codings.length) {
      // The framing is chunked when chunked is the final coding (and appears once); otherwise the body runs until close.
      f.chunked = codings[codings.length - 1] === 'chunked' && codings.indexOf('chunked') === codings.length - 1;
      f.otherCoding = !f.chunked;
      f.extraCodings = codings.length > 1;
    }
    if (f.contentLength >= 0) f.both = true;
  }
  return { first: ls[0]!, headers, f };
}

/** The head of a request: buf[0, end) where end is findHeadEnd's result. Errors are ALB's: 400, or 501 for a transfer coding it does not support. */
export function parseRequestHead(buf: Buffer, end: number): Parsed<RequestHead> {
  const l = lines(buf, end, false);
  if (!l) return { ok: false, status: 400 };
  const m = REQUEST_LINE.exec(l.first);
  if (!m) return { ok: false, status: 400 };
  const f = l.f;
  if (f.conflict || f.both) return { ok: false, status: 400 };
  // ALB supports only chunked (and identity) from clients.
  if (f.otherCoding || f.extraCodings) return { ok: false, status: 501 };
  const minor = m[3] === '1' ? 1 : 0;
  return {
    ok: true,
    head: {
      method: m[1]!,
      target: m[2]!,
      minor,
      headers: l.headers,
      contentLength: f.contentLength,
      chunked: f.chunked,
      close: f.close || (minor === 0 && !f.keepAlive),
      upgrade: f.upgradeToken && f.upgradeHeader,
      expectContinue: f.expectContinue,
    },
  };
}

/** The head of a response, buf[0, end) where end is findResponseHeadEnd's result; errors are 502 (the target's response is malformed). */
export function parseResponseHead(buf: Buffer, end: number): Parsed<ResponseHead> {
  const l = lines(buf, end, true);
  if (!l) return { ok: false, status: 502 };
  const m = STATUS_LINE.exec(l.first);
  if (!m) return { ok: false, status: 502 };
  const f = l.f;
  if (f.conflict && !f.chunked && !f.otherCoding) return { ok: false, status: 502 };
  const minor = m[1] === '1' ? 1 : 0;
  return {
    ok: true,
    head: {
      status: Number(m[2]),
      reason: m[3] ?? '',
      minor,
      headers: l.headers,
      // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3); a coding other than chunked is read until close.
      contentLength: f.chunked || f.otherCoding ? -1 : f.contentLength,
      chunked: f.chunked,
      close: f.close || f.otherCoding || (minor === 0 && !f.keepAlive),
      keepAliveMs: f.keepAliveMs,
    },
  };
}

const enum Chunk {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  TrailerLf,
  EndLf,
  Done,
}

/**
 * Follows a chunked body as its bytes pass, without decoding it, to find where
 * the message ends. Hex sizes (at most 15 digits), trailers bounded by
 * MAX_HEAD_BYTES, CRLF line ends (`lenient`, for responses: a bare LF too).
 */
export class ChunkScanner {
  readonly #lenient: boolean;
  #state = Chunk.Size;
  #size = 0;
  #digits = 0;
  #remaining = 0;
  #trailerBytes = 0;

  constructor(lenient = false) {
    this.#lenient = lenient;
  }

  get done(): boolean {
    return this.#state === Chunk.Done;
  }

  /**
   * Scans buf[from…]. Returns the index just past the end of the message
   * (the rest belongs to the next one), -1 when the message goes on past
   * buf, or -2 when the framing is malformed.
   */
  scan(buf: Buffer, from = 0): number {
    let i = from;
    const n = buf.length;
    while (i < n) {
      switch (this.#state) {
        case Chunk.Data: {
          const take = Math.min(this.#remaining, n - i);
          this.#remaining -= take;
          i += take;
          if (this.#remaining === 0) this.#state = Chunk.DataCr;
          continue;
        }
        case Chunk.Size: {
          const c = buf[i]!;
          const d = hexValue(c);
          if (d >= 0) {
            if (++this.#digits > 15) return -2;
            this.#size = this.#size * 16 + d;
          } else if (this.#digits === 0) return -2;
          else if (c === 0x3b || c === 0x20 || c === 0x09) this.#state = Chunk.Ext; // ';' chunk-ext (BWS tolerated)
          else if (c === 0x0d) this.#state = Chunk.SizeLf;
          else if (c === 0x0a && this.#lenient) {
            this.#sizeLine();
            i++;
            continue;
          } else return -2;
          i++;
          continue;
        }
        case Chunk.Ext: {
          const c = buf[i]!;
          if (c === 0x0d) this.#state = Chunk.SizeLf;
          else if (c === 0x0a && this.#lenient) {
            this.#sizeLine();
            i++;
            continue;
          } else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f) return -2;
          i++;
          continue;
        }
        case Chunk.SizeLf:
          if (buf[i] !== 0x0a) return -2;
          i++;
          this.#sizeLine();
          continue;
        case Chunk.DataCr:
          if (buf[i] === 0x0a && this.#lenient) this.#state = Chunk.Size;
          else if (buf[i] !== 0x0d) return -2;
          else this.#state = Chunk.DataLf;
          i++;
          continue;
        case Chunk.DataLf:
          if (buf[i] !== 0x0a) return -2;
          i++;
          this.#state = Chunk.Size;
          continue;
        case Chunk.TrailerStart:
          // An empty line ends the message; anything else is a trailer field.
          if (buf[i] === 0x0a && this.#lenient) {
            this.#state = Chunk.Done;
            return i + 1;
          }
          if (buf[i] === 0x0d) this.#state = Chunk.EndLf;
          else this.#state = Chunk.Trailer;
          i++;
          continue;
        case Chunk.Trailer: {
          const c = buf[i]!;
          if (++this.#trailerBytes > MAX_HEAD_BYTES) return -2;
          if (c === 0x0d) this.#state = Chunk.TrailerLf;
          else if (c === 0x0a && this.#lenient) this.#state = Chunk.TrailerStart;
          else if (c === 0x0a || (c < 0x20 && c !== 0x09) || c === 0x7f) return -2;
          i++;
          continue;
        }
        case Chunk.TrailerLf:
          if (buf[i] !== 0x0a) return -2;
          i++;
          this.#state = Chunk.TrailerStart;
          continue;
        case Chunk.EndLf:
          if (buf[i] !== 0x0a) return -2;
          this.#state = Chunk.Done;
          return i + 1;
        case Chunk.Done:
          return i;
      }
    }
    return this.#state === Chunk.Done ? i : -1;
  }

  /** A chunk-size line ended: data follows, or the trailers after the last chunk. */
  #sizeLine(): void {
    if (this.#size === 0) this.#state = Chunk.TrailerStart;
    else {
      this.#remaining = this.#size;
      this.#state = Chunk.Data;
    }
    this.#size = 0;
    this.#digits = 0;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
