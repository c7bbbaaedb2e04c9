// How an Application Load Balancer compares one request value with one
// condition value: wildcard patterns (path-pattern, host-header, http-header,
// query-string) and CIDR blocks (source-ip). The control plane validates
// condition values with the same parsers, so what it accepts is exactly what
// the data plane can match.
//
// Patterns are compiled once and then run on every request, so a compiled
// matcher never allocates: no RegExp (a pattern such as `*a*a*a` would
// backtrack polynomially on a 16 KB header), no lower-casing of the subject.
// Case-insensitive comparison folds ASCII letters only, as HTTP does.

/** A compiled condition value: true when the subject matches it. */
export type Matcher = (subject: string) => boolean;

const STAR = -1;
const ANY = -2;

const A = 0x41;
const Z = 0x5a;

function fold(code: number): number {
  return code >= A && code <= Z ? code | 0x20 : code;
}

/** Pattern characters as codes, `*` and `?` as STAR and ANY; lower-cased when matching ignores case. */
function tokenize(pattern: string, ignoreCase: boolean, escapes: boolean): number[] {
  const tokens: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    // query-string values write a literal `*` or `?` as `\*` / `\?` (ELBv2 API reference).
    if (escapes && c === 0x5c && i + 1 < pattern.length) {
      const next = pattern.charCodeAt(i + 1);
      if (next === 0x2a || next === 0x3f || next === 0x5c) {
        tokens.push(next);
        i++;
        continue;
      }
    }
    if (c === 0x2a) {
      if (tokens[tokens.length - 1] !== STAR) tokens.push(STAR); // `**` is `*`
    } else if (c === 0x3f) tokens.push(ANY);
    else tokens.push(ignoreCase ? fold(c) : c);
  }
  return tokens;
}

function literalOf(tokens: readonly number[], from: number, to: number): string | undefined {
  let s = '';
  for (let i = from; i < to; i++) {
    if (tokens[i]! < 0) return undefined;
    s += String.fromCharCode(tokens[i]!);
  }
  return s;
}

/** `subject[at..]` starts with `lit` (already folded), ignoring ASCII case. */
function regionEqualsFolded(subject: string, at: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) {
    if (fold(subject.charCodeAt(at + i)) !== lit.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The general case: greedy match with backtracking to the last `*` only,
 * which is O(pattern × subject) at worst and allocation-free.
 */
function globMatcher(tokens: readonly number[], ignoreCase: boolean): Matcher {
  const n = tokens.length;
  return (s) => {
    let p = 0;
    let i = 0;
    let starP = -1;
    let starI = 0;
    while (i < s.length) {
      const t = p < n ? tokens[p]! : 0;
      if (p < n && t === STAR) {
        starP = p++;
        starI = i;
      } else if (p < n && (t === ANY || t === (ignoreCase ? fold(s.charCodeAt(i)) : s.charCodeAt(i)))) {
        p++;
        i++;
      } else if (starP >= 0) {
        p = starP + 1;
        i = ++starI;
      } else return false;
    }
    while (p < n && tokens[p] === STAR) p++;
    return p === n;
  };
}

function compile(pattern: string, ignoreCase: boolean, escapes: boolean): Matcher {
  const tokens = tokenize(pattern, ignoreCase, escapes);
  const n = tokens.length;
  if (n === 1 && tokens[0] === STAR) return () => true;
  // Most real patterns are a literal, `/prefix*` or `*.suffix`: plain string tests for those.
  const whole = literalOf(tokens, 0, n);
  if (whole !== undefined) {
    return ignoreCase ? (s) => s.length === whole.length && regionEqualsFolded(s, 0, whole) : (s) => s === whole;
  }
  const prefix = tokens[n - 1] === STAR ? literalOf(tokens, 0, n - 1) : undefined;
  if (prefix !== undefined) {
    return ignoreCase ? (s) => s.length >= prefix.length && regionEqualsFolded(s, 0, prefix) : (s) => s.startsWith(prefix);
  }
  const suffix = tokens[0] === STAR ? literalOf(tokens, 1, n) : undefined;
  if (suffix !== undefined) {
    return ignoreCase
      ? (s) => s.length >= suffix.length && regionEqualsFolded(s, s.length - suffix.length, suffix)
      : (s) => s.endsWith(suffix);
  }
  return globMatcher(tokens, ignoreCase);
}

// Compiled matchers by pattern, one table per kind. Bounded: patterns come
// from listener rules (at most 5 values per rule), but a long-running data
// plane sees many configurations, so the table is dropped when it grows.
const MAX_CACHED = 10_000;

function cached(table: Map<string, Matcher>, pattern: string, ignoreCase: boolean, escapes: boolean): Matcher {
  let m = table.get(pattern);
  if (!m) {
    if (table.size >= MAX_CACHED) table.clear();
    m = compile(pattern, ignoreCase, escapes);
    table.set(pattern, m);
  }
  return m;
}

const pathTable = new Map<string, Matcher>();
const caselessTable = new Map<string, Matcher>();
const queryTable = new Map<string, Matcher>();

/** path-pattern: case-sensitive, matched against the path only (no query string). */
export function pathPattern(pattern: string): Matcher {
  return cached(pathTable, pattern, false, false);
}

/** host-header and http-header values: case-insensitive. */
export function caselessPattern(pattern: string): Matcher {
  return cached(caselessTable, pattern, true, false);
}

/** query-string keys and values: case-insensitive, `\*` and `\?` are literal. */
export function queryPattern(pattern: string): Matcher {
  return cached(queryTable, pattern, true, true);
}

/** How many wildcards a condition value spends of the rule's quota (escaped ones are literal). */
export function wildcardCount(pattern: string, escapes: boolean): number {
  let count = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (escapes && c === 0x5c) i++;
    else if (c === 0x2a || c === 0x3f) count++;
  }
  return count;
}

/** The hostname of a Host header: `example.com:8080` → `example.com`, `[::1]:80` → `[::1]`. */
export function hostnameOf(host: string): string {
  if (host.charCodeAt(0) === 0x5b) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

// ---- source-ip ----------------------------------------------------------

/**
 * An address as 32-bit words: one for IPv4, four for IPv6. IPv4-mapped IPv6
 * addresses (`::ffff:127.0.0.1`, what a dual-stack socket reports for an IPv4
 * client) are IPv4, so they match IPv4 blocks.
 */
export type IpAddress = readonly number[];

export interface CidrBlock {
  readonly words: IpAddress;
  readonly prefix: number;
}

function parseIpv4(s: string): number | undefined {
  let value = 0;
  let parts = 0;
  let i = 0;
  while (i <= s.length) {
    const start = i;
    let octet = 0;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) {
      octet = octet * 10 + (s.charCodeAt(i) - 0x30);
      i++;
    }
    const len = i - start;
    // no empty parts, no leading zeros (`010` is octal to some parsers), at most 255
    if (len === 0 || len > 3 || (len > 1 && s.charCodeAt(start) === 0x30) || octet > 255) return undefined;
    value = value * 256 + octet;
    parts++;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 0x2e || parts === 4) return undefined;
    i++;
  }
  return parts === 4 ? value >>> 0 : undefined;
}

function parseIpv6Groups(s: string): number[] | undefined {
  const groups: number[] = [];
  const parsePart = (part: string, last: boolean): boolean => {
    if (part === '') return true;
    const pieces = part.split(':');
    for (let k = 0; k < pieces.length; k++) {
      const piece = pieces[k]!;
      if (last && k === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return false;
        groups.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return false;
        groups.push(parseInt(piece, 16));
      }
    }
    return true;
  };
  const gap = s.indexOf('::');
  if (gap < 0) {
    if (!parsePart(s, true) || groups.length !== 8) return undefined;
    return groups;
  }
  if (s.indexOf('::', gap + 1) >= 0) return undefined;
  if (!parsePart(s.slice(0, gap), false)) return undefined;
  const head = groups.length;
  if (!parsePart(s.slice(gap + 2), true)) return undefined;
  const tail = groups.splice(head);
  if (head + tail.length > 7) return undefined;
  while (groups.length + tail.length < 8) groups.push(0);
  groups.push(...tail);
  return groups;
}

function isMapped(g: readonly number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/** Parses an IPv4 or IPv6 address (a `%zone` suffix is ignored); undefined when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : [v4];
  }
  const zone = text.indexOf('%');
  const g = parseIpv6Groups(zone < 0 ? text : text.slice(0, zone));
  if (!g) return undefined;
  if (isMapped(g)) return [((g[6]! << 16) | g[7]!) >>> 0];
  return [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0, ((g[4]! << 16) | g[5]!) >>> 0, ((g[6]! << 16) | g[7]!) >>> 0];
}

/** Parses `address/prefix` (IPv4 or IPv6); undefined when it is not a CIDR block. */
export function parseCidr(text: string): CidrBlock | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || text.includes('%')) return undefined;
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  let prefix = Number(prefixText);
  const addressText = text.slice(0, slash);
  if (!addressText.includes(':')) {
    const v4 = parseIpv4(addressText);
    return v4 === undefined || prefix > 32 ? undefined : { words: [v4], prefix };
  }
  const g = parseIpv6Groups(addressText);
  if (!g || prefix > 128) return undefined;
  // ::ffff:a.b.c.d/104 is the IPv4 block a.b.c.d/8, so it matches IPv4 clients.
  if (isMapped(g) && prefix >= 96) return { words: [((g[6]! << 16) | g[7]!) >>> 0], prefix: prefix - 96 };
  const words = [((g[0]! << 16) | g[1]!) >>> 0, ((g[2]! << 16) | g[3]!) >>> 0, ((g[4]! << 16) | g[5]!) >>> 0, ((g[6]! << 16) | g[7]!) >>> 0];
  return { words, prefix };
}

/** True when the address lies in the block (IPv4 only in IPv4 blocks, IPv6 only in IPv6 ones). */
export function cidrContains(block: CidrBlock, address: IpAddress): boolean {
  if (block.words.length !== address.length) return false;
  let bits = block.prefix;
  for (let w = 0; w < address.length && bits > 0; w++) {
    const take = bits >= 32 ? 32 : bits;
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if (((address[w]! ^ block.words[w]!) & mask) !== 0) return false;
    bits -= take;
  }
  return true;
}
