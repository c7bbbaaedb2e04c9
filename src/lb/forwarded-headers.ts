import type { IncomingHttpHeaders } from 'node:http';
import type { RequestHead, ResponseHead } from './http1-parse.js';
import { traceHeader } from './trace-id.js';

// The heads the proxy writes: the request head for the target and the
// response head for the client, rewritten from the ones it read.
//
// Request → target: hop-by-hop headers (Connection and the headers it names,
// Keep-Alive, Proxy-Connection, TE, Expect) are dropped; Transfer-Encoding:
// chunked and Content-Length stay, because the body goes through with its
// own framing; X-Forwarded-For gets the client's address appended,
// X-Forwarded-Proto/-Port are set to the listener's, X-Amzn-Trace-Id is added
// or updated (trace-id.ts). HTTP/1.0 requests ask the target for keep-alive
// so that the connection can serve the next request.
//
// Response → client: Connection, Keep-Alive, Proxy-Connection (and what
// Connection names) dropped, then the proxy's own Connection header when it
// will close or the client speaks HTTP/1.0; stickiness cookies appended.

export interface ForwardSite {
  /** 'http' | 'https': the listener's protocol, for X-Forwarded-Proto. */
  proto: 'http' | 'https';
  /** The listener's port, for X-Forwarded-Port. */
  port: string;
  idleTimeoutMs: number;
}

/** ALB refuses a request whose X-Forwarded-For already holds more than this many addresses (HTTP 463). */
export const MAX_FORWARDED_FOR = 30;

const ALWAYS_HOP = new Set(['keep-alive', 'close', 'upgrade', 'connection', 'te', 'trailer', 'transfer-encoding', 'proxy-connection']);

function connectionTokens(value: string, into: string[] | undefined): string[] | undefined {
  for (const tok of value.split(',')) {
    const t = tok.trim().toLowerCase();
    if (t && !ALWAYS_HOP.has(t)) (into ??= []).push(t);
  }
  return into;
}

function dropNamed(headers: string[], named: string[]): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (named.includes(headers[r]!.toLowerCase())) continue;
    headers[w++] = headers[r]!;
    headers[w++] = headers[r + 1]!;
  }
  headers.length = w;
}

export interface UpstreamHead {
  /** The whole head, CRLFCRLF included, to write as latin1. */
  text: string;
  /** Addresses the client's X-Forwarded-For already held. */
  forwardedFor: number;
}

/**
 * The request head for the target. `upgrade` keeps Connection/Upgrade (a
 * WebSocket handshake goes to the target as is).
 */
export function upstreamRequestHead(head: RequestHead, sourceIp: string, site: ForwardSite, now: number, upgrade: boolean): UpstreamHead {
  const raw = head.headers;
  const out: string[] = [];
  let xff: string | undefined;
  let trace: string | undefined;
  let named: string[] | undefined;
  let host = false;
  let length = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (name.toLowerCase()) {
      case 'connection':
        if (upgrade) out.push(name, value);
        else named = connectionTokens(value, named);
        continue;
      case 'upgrade':
        if (upgrade) out.push(name, value);
        continue;
      case 'transfer-encoding':
        // Only chunked gets this far (the parser refused other codings); identity alone means nothing.
        if (head.chunked) out.push(name, value);
        continue;
      case 'keep-alive':
      case 'proxy-connection':
      case 'te':
      case 'expect':
      case 'x-forwarded-proto':
      case 'x-forwarded-port':
        continue;
      case 'x-forwarded-for':
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      case 'x-amzn-trace-id':
        if (trace === undefined) trace = value;
        continue;
      case 'host':
        if (host) continue;
        host = true;
        break;
      case 'content-length':
        if (length) continue;
        length = true;
        break;
    }
    out.push(name, value);
  }
  if (named) dropNamed(out, named);
  let text = `${head.method} ${head.target} HTTP/1.${head.minor}\r\n`;
  for (let i = 0; i < out.length; i += 2) text += `${out[i]}: ${out[i + 1]}\r\n`;
  if (head.minor === 0 && !upgrade) text += 'Connection: keep-alive\r\n';
  text +=
    `X-Forwarded-For: ${xff === undefined || xff === '' ? sourceIp : `${xff}, ${sourceIp}`}\r\n` +
    `X-Forwarded-Proto: ${site.proto}\r\n` +
    `X-Forwarded-Port: ${site.port}\r\n` +
    `X-Amzn-Trace-Id: ${traceHeader(trace, now)}\r\n\r\n`;
  return { text, forwardedFor: xff ? xff.split(',').length : 0 };
}

/** The response head for the client. */
export function clientResponseHead(res: ResponseHead, close: boolean, http10: boolean, cookies: readonly string[] | undefined): string {
  const raw = res.headers;
  let named: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') named = connectionTokens(raw[i + 1]!, named);
  }
  let text = `HTTP/1.1 ${res.status} ${res.reason}\r\n`;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    switch (name.length) {
      case 7:
      case 10:
      case 16: {
        const n = name.toLowerCase();
        if (n === 'connection' || n === 'keep-alive' || n === 'proxy-connection' || (n === 'upgrade' && res.status !== 101)) continue;
        break;
      }
    }
    if (named && named.includes(name.toLowerCase())) continue;
    text += `${name}: ${raw[i + 1]}\r\n`;
  }
  if (cookies) for (let i = 0; i < cookies.length; i++) text += `Set-Cookie: ${cookies[i]}\r\n`;
  if (close) text += 'Connection: close\r\n';
  else if (http10) text += 'Connection: keep-alive\r\n';
  return `${text}\r\n`;
}

// Headers Node keeps only the first of, as IncomingMessage.headers does.
const SINGLE = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

/** The headers as node:http's IncomingMessage.headers shows them (lower-case names, repeats joined), for the rules. */
export function headersObject(raw: readonly string[]): IncomingHttpHeaders {
  const o: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    const v = raw[i + 1]!;
    const prev = o[k];
    if (prev === undefined) o[k] = k === 'set-cookie' ? [v] : v;
    else if (k === 'set-cookie') (prev as string[]).push(v);
    else if (SINGLE.has(k)) continue;
    else o[k] = `${prev as string}${k === 'cookie' ? '; ' : ', '}${v}`;
  }
  return o as IncomingHttpHeaders;
}

/** The first value of a header (case-insensitive name), or all values of `cookie` joined as one Cookie header. */
export function headerValue(raw: readonly string[], lowerName: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length !== lowerName.length || n.toLowerCase() !== lowerName) continue;
    if (lowerName !== 'cookie') return raw[i + 1];
    found = found === undefined ? raw[i + 1] : `${found}; ${raw[i + 1]}`;
  }
  return found;
}
