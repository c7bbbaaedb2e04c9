import { clientResponseHead } from './forwarded-headers.js';
import { ChunkScanner, findResponseHeadEnd, MAX_HEAD_BYTES, parseResponseHead, type ResponseHead } from './http1-parse.js';
import type { RuntimeTarget } from './target-group.js';
import type { UpstreamConn, UpstreamOwner, UpstreamPool } from './upstream-pool.js';

// One request forwarded to one target over a keep-alive connection: the
// request head (already rewritten) and the body bytes the client connection
// feeds in go out as they come; the response head is read, rewritten and
// sent on with the body bytes as they arrive, until the response's framing
// says it ended. Backpressure both ways: a full target socket pauses the
// client, a full client socket pauses the target.
//
// Failures, as ALB answers them ("Troubleshoot your Application Load
// Balancers"): refused, reset or closed before a whole response head, or a
// malformed head → 502; no connection within 10 s, or no response within the
// idle timeout → 504. Once the response started, a failure can only cut the
// client's connection.
//
// Retries (at most two), only where the request cannot have been acted on
// twice: a connection that could not be made (refused: the target is gone,
// nothing reached it) goes to another target, with the body bytes sent so
// far (kept until the connection is made); a connection that closed
// before any response byte is retried for idempotent requests without a
// body, on a fresh connection to the same target when it was a reused
// keep-alive connection (the target's keep-alive timer won the race), else on
// another target.

/** ELB's connection timeout towards targets (a 504 when it passes). */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Another target of the same group for a retry (not one of `tried` when possible), or undefined. */
export type Repick = (tried: readonly RuntimeTarget[]) => { target: RuntimeTarget; pool: UpstreamPool } | undefined;

const MAX_ATTEMPTS = 3;

/** What the exchange needs from the client connection. */
export interface ExchangeClient {
  /** Writes bytes of the response; false when the client's socket is full (onDrain follows). */
  write(data: Buffer | string, encoding?: BufferEncoding): boolean;
  /** Writes the response head and the first body bytes as one write; `close` when the head announced Connection: close. */
  writeHead(head: string, body: Buffer | undefined, close: boolean): boolean;
  /** The response ended; `close` when the client connection cannot carry another one. */
  responseDone(close: boolean): void;
  /** Answers with ALB's own error page instead (nothing of the response was sent); `why` is for the log. */
  replyError(status: number, target: RuntimeTarget, why: string): void;
  /** Cuts the client connection (a response already started cannot be finished). */
  destroy(): void;
  pause(): void;
  resume(): void;
  /** The connection closes after this response (the client asked, or its request body is still coming). */
  readonly closeRequested: boolean;
  readonly http10: boolean;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

const enum Body {
  None,
  Length,
  Chunked,
  UntilClose,
}

export class UpstreamExchange implements UpstreamOwner {
  readonly #client: ExchangeClient;
  #pool: UpstreamPool;
  #target: RuntimeTarget;
  readonly #repick: Repick | undefined;
  /** Targets tried so far, once a retry looks for another. */
  #tried: RuntimeTarget[] | undefined;
  readonly #head: string;
  readonly #method: string;
  readonly #hasBody: boolean;
  readonly #idleMs: number;
  readonly #cookies: readonly string[] | undefined;
  #conn: UpstreamConn | undefined;
  #attempts = 1;
  /** Body bytes sent while the connection was still being made: a retry after a refused connection sends them again. */
  #pending: Buffer[] | undefined;
  #pendingBytes = 0;
  #bodyDone: boolean;
  #done = false;
  #resBuf: Buffer | undefined;
  #res: ResponseHead | undefined;
  #body = Body.None;
  #left = 0;
  #chunks: ChunkScanner | undefined;
  /** The target sent more than its framing allowed, or the framing is unknown: never reuse the connection. */
  #dirty = false;

  constructor(
    client: ExchangeClient,
    pool: UpstreamPool,
    target: RuntimeTarget,
    head: string,
    method: string,
    hasBody: boolean,
    idleMs: number,
    cookies: readonly string[] | undefined,
    repick?: Repick,
  ) {
    this.#client = client;
    this.#pool = pool;
    this.#target = target;
    this.#head = head;
    this.#method = method;
    this.#hasBody = hasBody;
    this.#bodyDone = !hasBody;
    this.#idleMs = idleMs;
    this.#cookies = cookies;
    this.#repick = repick;
    target.outstanding++;
  }

  start(): void {
    this.#connect(false);
  }

  #connect(fresh: boolean): void {
    const conn = this.#pool.acquire(this, fresh);
    if (!conn) return this.#fail(502, 'target deregistered');
    this.#conn = conn;
    conn.socket.setTimeout(conn.connected ? this.#idleMs : CONNECT_TIMEOUT_MS);
    // A connecting socket buffers what is written until it connects.
    conn.socket.write(this.#head, 'latin1');
    if (this.#pending) for (const p of this.#pending) conn.socket.write(p);
  }

  /** Request body bytes from the client. */
  sendBody(chunk: Buffer): void {
    const c = this.#conn;
    if (this.#done || !c) return;
    if (!c.connected) {
      (this.#pending ??= []).push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes > MAX_HEAD_BYTES) this.#client.pause(); // resumed once connected
    }
    if (!c.socket.write(chunk)) this.#client.pause();
  }

  /** The client sent the whole request body. */
  endBody(): void {
    this.#bodyDone = true;
  }

  /** The client's socket has room again. */
  clientDrained(): void {
    const c = this.#conn;
    if (!this.#done && c && c.socket.isPaused()) c.socket.resume();
  }

  /** The client went away: the target connection cannot be reused. */
  abort(): void {
    if (this.#done) return;
    this.#finish();
    if (this.#conn) this.#pool.discard(this.#conn);
  }

  onConnect(): void {
    this.#conn?.socket.setTimeout(this.#idleMs);
    if (this.#pending) {
      this.#pending = undefined;
      this.#pendingBytes = 0;
      if (!this.#conn?.socket.writableNeedDrain) this.#client.resume();
    }
  }

  onDrain(): void {
    if (!this.#done) this.#client.resume();
  }

  onData(chunk: Buffer): void {
    if (this.#done) return;
    if (this.#res) return this.#forward(chunk, 0);
    let buf = this.#resBuf ? Buffer.concat([this.#resBuf, chunk]) : chunk;
    for (;;) {
      const end = findResponseHeadEnd(buf);
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) return this.#fail(502, 'response head over 64 KiB');
        this.#resBuf = buf;
        return;
      }
      const parsed = parseResponseHead(buf, end);
      if (!parsed.ok) return this.#fail(502, 'malformed response head');
      const res = parsed.head;
      if (res.status < 200) {
        // 100 Continue, 103 Early Hints…: the client got its 100 from the proxy. A 101 to a plain request breaks the protocol.
        if (res.status === 101) return this.#fail(502, '101 to a request that did not ask to upgrade');
        if (end === buf.length) {
          this.#resBuf = undefined;
          return;
        }
        buf = buf.subarray(end);
        continue;
      }
      this.#resBuf = undefined;
      this.#res = res;
      return this.#begin(res, buf, end);
    }
  }

  #begin(res: ResponseHead, buf: Buffer, end: number): void {
    if (this.#method === 'HEAD' || res.status === 204 || res.status === 304) this.#body = Body.None;
    else if (res.chunked) {
      this.#body = Body.Chunked;
      this.#chunks = new ChunkScanner(true);
    } else if (res.contentLength >= 0) {
      this.#body = Body.Length;
      this.#left = res.contentLength;
    } else this.#body = Body.UntilClose;
    const close = this.#client.closeRequested || this.#body === Body.UntilClose;
    const head = clientResponseHead(res, close, this.#client.http10, this.#cookies);
    // The head and the body bytes that came with it go out in one write.
    const { piece, complete, malformed } = this.#take(buf, end);
    if (malformed) return this.#fail(502, 'malformed chunked body');
    const ok = this.#client.writeHead(head, piece, close);
    if (complete) return this.#complete();
    if (!ok) this.#conn?.socket.pause();
  }

  #forward(chunk: Buffer, from: number): void {
    const { piece, complete, malformed } = this.#take(chunk, from);
    if (malformed) return this.#cut();
    const ok = piece === undefined || this.#client.write(piece);
    if (complete) return this.#complete();
    if (!ok) this.#conn?.socket.pause();
  }

  /** The body bytes of buf[from…] that belong to this response, and whether the response is complete. */
  #take(buf: Buffer, from: number): { piece: Buffer | undefined; complete: boolean; malformed?: boolean } {
    const rest = buf.length - from;
    switch (this.#body) {
      case Body.None:
        if (rest > 0) this.#dirty = true;
        return { piece: undefined, complete: true };
      case Body.Length: {
        const n = Math.min(this.#left, rest);
        this.#left -= n;
        if (rest > n) this.#dirty = true;
        return { piece: n === 0 ? undefined : n === buf.length ? buf : buf.subarray(from, from + n), complete: this.#left === 0 };
      }
      case Body.Chunked: {
        const end = this.#chunks!.scan(buf, from);
        if (end === -2) {
          this.#dirty = true;
          return { piece: undefined, complete: false, malformed: true };
        }
        if (end === -1) return { piece: rest === 0 ? undefined : from === 0 ? buf : buf.subarray(from), complete: false };
        if (end < buf.length) this.#dirty = true;
        return { piece: end === from ? undefined : buf.subarray(from, end), complete: true };
      }
      case Body.UntilClose:
        return { piece: rest === 0 ? undefined : from === 0 ? buf : buf.subarray(from), complete: false };
    }
  }

  onEnd(): void {
    if (this.#done) return;
    if (this.#res && this.#body === Body.UntilClose) return this.#complete();
    this.#lost();
  }

  onClose(): void {
    if (!this.#done) this.#lost();
  }

  onTimeout(): void {
    if (this.#done) return;
    const c = this.#conn;
    if (!c) return;
    if (!c.connected) return this.#fail(504, 'connect timeout');
    // No response yet: the client stalled mid-body (408), or the target did not answer or stopped reading (504).
    if (!this.#res) return this.#bodyDone || c.socket.writableNeedDrain ? this.#fail(504, 'no response within the idle timeout') : this.#fail(408, 'client stalled sending its body');
    // Paused because the client reads slowly: not idle on the client's side, so not cut.
    if (c.socket.isPaused()) return;
    // The response stalled for the idle timeout.
    this.#cut();
  }

  /** The connection ended before the response did. */
  #lost(): void {
    const c = this.#conn;
    if (!this.#res && !this.#resBuf && c && this.#attempts < MAX_ATTEMPTS) {
      if (!c.connected) return this.#retry(c, false);
      if (c.connected && !this.#hasBody && IDEMPOTENT.has(this.#method)) return this.#retry(c, c.reused);
    }
    if (!this.#res) {
      const code = c?.error ? ` (${(c.error as NodeJS.ErrnoException).code ?? c.error.message})` : '';
      return this.#fail(502, `connection ${c?.connected ? 'closed' : 'failed'} before a response${code}`);
    }
    this.#cut();
  }

  #retry(c: UpstreamConn, sameTarget: boolean): void {
    this.#attempts++;
    this.#pool.discard(c);
    this.#conn = undefined;
    const tried = (this.#tried ??= [this.#target]);
    const next = sameTarget ? undefined : this.#repick?.(tried);
    if (next && next.target !== this.#target) {
      this.#target.outstanding--;
      next.target.outstanding++;
      this.#target = next.target;
      this.#pool = next.pool;
      tried.push(next.target);
    }
    this.#connect(true);
  }

  #complete(): void {
    if (this.#done) return;
    this.#finish();
    const c = this.#conn;
    const res = this.#res!;
    const reusable = !res.close && !this.#dirty && this.#bodyDone && this.#body !== Body.UntilClose;
    if (c) {
      if (reusable) this.#pool.release(c, res.keepAliveMs);
      else this.#pool.discard(c);
    }
    this.#client.responseDone(this.#body === Body.UntilClose);
  }

  /** Nothing of the response reached the client: answer with ALB's page. */
  #fail(status: number, why: string): void {
    if (this.#done) return;
    this.#finish();
    if (this.#conn) this.#pool.discard(this.#conn);
    this.#client.replyError(status, this.#target, why);
  }

  /** The response started and cannot be finished. */
  #cut(): void {
    if (this.#done) return;
    this.#finish();
    if (this.#conn) this.#pool.discard(this.#conn);
    this.#client.destroy();
  }

  #finish(): void {
    this.#done = true;
    this.#target.outstanding--;
  }
}
