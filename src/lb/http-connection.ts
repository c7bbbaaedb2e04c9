import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { rawAlbError, rawResponse } from './alb-responses.js';
import { MAX_FORWARDED_FOR, upstreamRequestHead, type ForwardSite } from './forwarded-headers.js';
import { ChunkScanner, findHeadEnd, MAX_HEAD_BYTES, parseRequestHead, type RequestHead } from './http1-parse.js';
import { CONNECT_TIMEOUT_MS, UpstreamExchange, type ExchangeClient } from './http-exchange.js';
import type { RuntimeTarget, TargetGroupRuntime } from './target-group.js';

// One client connection of an ALB listener, as a small state machine:
//
//   Head ──head parsed──▶ Body (request body flowing to the target) ──▶ Wait (response
//    ▲                                                                   │  flowing back)
//    └────────────── response done, connection kept alive ◀──────────────┘
//   Head ──Upgrade──▶ Tunnel (raw bytes both ways)        any ──▶ Closed
//
// Requests on one connection are answered in order; bytes of a pipelined
// next request wait (the socket pauses past 64 KiB) until the response in
// flight is done. A response the load balancer writes itself (fixed
// response, redirect, error) while a request body is unread closes the
// connection after it, rather than reading a body nobody wants.

export type RouteDecision =
  | { kind: 'reply'; status: number; headers: Array<[string, string]>; body: Buffer }
  | { kind: 'forward'; group: TargetGroupRuntime; target: RuntimeTarget; cookies: string[] | undefined };

/** What a connection asks of its listener. */
export interface ConnectionRouter {
  readonly site: ForwardSite;
  now(): number;
  route(head: RequestHead, sourceIp: string): RouteDecision;
  routeFailed(err: unknown): void;
  /** The load balancer answered `status` itself because of the target (debug log). */
  upstreamFailed(target: RuntimeTarget, status: number, why: string): void;
  closed(conn: ClientConnection): void;
}

const enum State {
  Head,
  Body,
  Wait,
  Tunnel,
  Closed,
}

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Bodies up to this size are written in one string with the response head. */
const SMALL_BODY = 8 * 1024;
/** How long a closing connection still reads (and drops) what the client sends. */
const LINGER_MS = 2_000;

export function socketIp(sock: Socket): string {
  const a = sock.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

const noop = () => undefined;

export class ClientConnection implements ExchangeClient {
  readonly #sock: Socket;
  readonly #router: ConnectionRouter;
  readonly #ip: string;
  #state = State.Head;
  #buf: Buffer | undefined;
  #store: Buffer | undefined;
  #scanFrom = 0;
  #head: RequestHead | undefined;
  #bodyLeft = 0;
  #chunks: ChunkScanner | undefined;
  #exchange: UpstreamExchange | undefined;
  #close = false;
  #started = false;
  #ended = false;
  #parsing = false;

  constructor(sock: Socket, router: ConnectionRouter) {
    this.#sock = sock;
    this.#router = router;
    this.#ip = socketIp(sock);
    sock.setNoDelay(true);
    sock.setTimeout(router.site.idleTimeoutMs);
    sock.on('data', this.#onData);
    sock.on('end', this.#onEnd);
    sock.on('error', noop);
    sock.on('close', this.#onClose);
    sock.on('timeout', this.#onTimeout);
    sock.on('drain', this.#onDrain);
  }

  get closeRequested(): boolean {
    // A response that starts while the request body is still coming ends the connection: the rest of the body is not read.
    return this.#close || this.#ended || this.#state === State.Body;
  }

  get http10(): boolean {
    return this.#head?.minor === 0;
  }

  /** Cuts the connection (listener closing). */
  destroy(): void {
    this.#state = State.Closed;
    this.#sock.destroy();
  }

  // ── ExchangeClient ──────────────────────────────────────────────────────

  write(data: Buffer | string, encoding?: BufferEncoding): boolean {
    if (this.#state === State.Closed) return true;
    return encoding ? this.#sock.write(data, encoding) : this.#sock.write(data);
  }

  writeHead(head: string, body: Buffer | undefined, close: boolean): boolean {
    if (this.#state === State.Closed) return true;
    this.#started = true;
    if (close) this.#close = true;
    if (!body) return this.#sock.write(head, 'latin1');
    // One plain write is cheaper than a writev of two buffers: small bodies ride along in the head's string.
    if (body.length <= SMALL_BODY) return this.#sock.write(head + body.toString('latin1'), 'latin1');
    this.#sock.cork();
    this.#sock.write(head, 'latin1');
    const ok = this.#sock.write(body);
    this.#sock.uncork();
    return ok;
  }

  responseDone(close: boolean): void {
    this.#exchange = undefined;
    if (close) this.#close = true;
    this.#next();
  }

  replyError(status: number, target: RuntimeTarget, why: string): void {
    this.#exchange = undefined;
    this.#router.upstreamFailed(target, status, why);
    this.#replyPage(status);
  }

  pause(): void {
    this.#sock.pause();
  }

  resume(): void {
    if (this.#state === State.Body) this.#sock.resume();
  }

  // ── reading requests ────────────────────────────────────────────────────

  #onData = (chunk: Buffer): void => {
    switch (this.#state) {
      case State.Head:
        this.#append(chunk);
        this.#parse();
        return;
      case State.Body:
        this.#feed(chunk);
        return;
      case State.Wait:
        // A pipelined request: it waits for the response in flight.
        this.#append(chunk);
        if (this.#buf!.length > MAX_HEAD_BYTES) this.#sock.pause();
        return;
    }
  };

  /**
   * Adds bytes to #buf. Its backing store grows by doubling, so a head that
   * trickles in a byte at a time costs O(n) copying in all, not O(n²).
   * Bytes are only ever written past the end of #buf, into store space never
   * handed out (a #buf that no longer starts the store gets a new one).
   */
  #append(chunk: Buffer): void {
    const buf = this.#buf;
    if (!buf) {
      this.#buf = chunk;
      return;
    }
    const len = buf.length + chunk.length;
    let store = this.#store;
    if (store && buf.buffer === store.buffer && buf.byteOffset === store.byteOffset && store.length >= len) {
      chunk.copy(store, buf.length);
    } else {
      store = Buffer.allocUnsafe(Math.max(4096, len * 2));
      buf.copy(store, 0);
      chunk.copy(store, buf.length);
      this.#store = store;
    }
    this.#buf = store.subarray(0, len);
  }

  #parse(): void {
    if (this.#parsing) return; // #next() called from inside the loop below: the loop goes on
    this.#parsing = true;
    try {
      while (this.#state === State.Head && this.#buf) {
        let buf = this.#buf;
        // Empty lines before a request are tolerated (RFC 9112 §2.2).
        let skip = 0;
        while (skip + 1 < buf.length && buf[skip] === 0x0d && buf[skip + 1] === 0x0a) skip += 2;
        if (skip) {
          this.#buf = skip === buf.length ? undefined : buf.subarray(skip);
          this.#scanFrom = 0;
          if (!this.#buf) return;
          buf = this.#buf;
        }
        const end = findHeadEnd(buf, this.#scanFrom);
        if (end < 0 || end > MAX_HEAD_BYTES) {
          if (buf.length > MAX_HEAD_BYTES) return this.#reject(400);
          this.#scanFrom = buf.length - 3;
          return;
        }
        this.#scanFrom = 0;
        const parsed = parseRequestHead(buf, end);
        this.#buf = end < buf.length ? buf.subarray(end) : undefined;
        if (!parsed.ok) return this.#reject(parsed.status);
        this.#start(parsed.head);
      }
    } finally {
      this.#parsing = false;
    }
  }

  #start(head: RequestHead): void {
    this.#head = head;
    this.#started = false;
    if (head.close) this.#close = true;
    const hasBody = head.chunked || head.contentLength > 0;
    this.#state = hasBody ? State.Body : State.Wait;
    this.#chunks = head.chunked ? new ChunkScanner() : undefined;
    this.#bodyLeft = head.chunked ? 0 : Math.max(0, head.contentLength);
    const site = this.#router.site;
    if (this.#sock.timeout !== site.idleTimeoutMs) this.#sock.setTimeout(site.idleTimeoutMs);

    let d: RouteDecision;
    try {
      d = head.method === 'CONNECT' ? { kind: 'reply', status: 405, headers: [], body: Buffer.alloc(0) } : this.#router.route(head, this.#ip);
    } catch (err) {
      this.#router.routeFailed(err);
      return this.#replyPage(500);
    }
    if (d.kind === 'reply') return this.#reply(d.status, d.headers, d.body);

    const up = upstreamRequestHead(head, this.#ip, site, this.#router.now(), head.upgrade);
    if (up.forwardedFor > MAX_FORWARDED_FOR) return this.#replyPage(463);
    if (head.upgrade) return this.#tunnel(d.group, d.target, up.text);
    if (head.expectContinue && hasBody) this.#sock.write(CONTINUE, 'latin1');
    const group = d.group;
    const repick = (tried: readonly RuntimeTarget[]) => {
      const t = group.pickOther(tried, this.#router.now());
      return t && { target: t, pool: group.poolOf(t) };
    };
    const ex = new UpstreamExchange(this, group.poolOf(d.target), d.target, up.text, head.method, hasBody, site.idleTimeoutMs, d.cookies, repick);
    this.#exchange = ex;
    ex.start();
    if (this.#state === State.Body && this.#buf) {
      const b = this.#buf;
      this.#buf = undefined;
      this.#feed(b);
    }
  }

  /** Request body bytes: to the target up to the end of the body; what follows is the next request. */
  #feed(chunk: Buffer): void {
    let piece: Buffer | undefined;
    let rest: Buffer | undefined;
    let complete: boolean;
    if (this.#chunks) {
      const end = this.#chunks.scan(chunk, 0);
      if (end === -2) return this.#badBody();
      complete = end >= 0;
      if (end === -1 || end === chunk.length) piece = chunk;
      else {
        piece = end === 0 ? undefined : chunk.subarray(0, end);
        rest = chunk.subarray(end);
      }
    } else {
      const n = Math.min(this.#bodyLeft, chunk.length);
      this.#bodyLeft -= n;
      piece = n === chunk.length ? chunk : n === 0 ? undefined : chunk.subarray(0, n);
      rest = n < chunk.length ? chunk.subarray(n) : undefined;
      complete = this.#bodyLeft === 0;
    }
    if (piece) this.#exchange?.sendBody(piece);
    if (!complete) return;
    this.#state = State.Wait;
    this.#exchange?.endBody();
    if (rest) {
      this.#buf = rest;
      if (rest.length > MAX_HEAD_BYTES) this.#sock.pause();
    }
  }

  /** Malformed chunked framing from the client. */
  #badBody(): void {
    const ex = this.#exchange;
    this.#exchange = undefined;
    ex?.abort();
    this.#close = true;
    if (this.#started) this.destroy();
    else this.#replyPage(400);
  }

  #reject(status: number): void {
    this.#close = true;
    this.#replyPage(status);
  }

  // ── answering ───────────────────────────────────────────────────────────

  #replyPage(status: number): void {
    const bytes = rawAlbError(status, this.#willClose(), this.#head?.method === 'HEAD');
    this.#sock.write(bytes);
    this.#next();
  }

  #reply(status: number, headers: Array<[string, string]>, body: Buffer): void {
    const bytes = rawResponse(status, headers, body, this.#willClose(), this.#head?.method === 'HEAD');
    this.#sock.write(bytes);
    this.#next();
  }

  /** Whether the connection closes after the response being written (a request body left unread closes it). */
  #willClose(): boolean {
    if (this.#state === State.Body) this.#close = true;
    return this.#close || this.#ended;
  }

  /** The response is done: the next request, or the end of the connection. */
  #next(): void {
    if (this.#state === State.Closed || this.#state === State.Tunnel) return;
    if (this.#state === State.Body) this.#close = true;
    this.#head = undefined;
    this.#started = false;
    if (this.#close || this.#ended) return this.#closeGracefully();
    this.#state = State.Head;
    if (this.#sock.isPaused()) this.#sock.resume();
    if (this.#buf) this.#parse();
  }

  /**
   * Ends the connection after what was written. Bytes the client is still
   * sending (an unread request body) are read and dropped for a while first:
   * closing with unread bytes would reset the connection and could destroy
   * the response before the client reads it.
   */
  #closeGracefully(): void {
    this.#state = State.Closed;
    const sock = this.#sock;
    sock.end();
    if (this.#ended) return; // both directions are done: the socket closes by itself
    const t = setTimeout(() => sock.destroy(), LINGER_MS);
    t.unref();
    sock.once('close', () => clearTimeout(t));
    if (sock.isPaused()) sock.resume();
  }

  // ── socket events ───────────────────────────────────────────────────────

  #onEnd = (): void => {
    this.#ended = true;
    if (this.#state === State.Head) {
      this.#state = State.Closed;
      this.#sock.end();
    } else if (this.#state === State.Closed) this.#sock.end();
    else if (this.#state === State.Body) this.destroy(); // the body will never be complete
    // Wait: the response is finished, then the connection closes.
  };

  #onClose = (): void => {
    this.#state = State.Closed;
    const ex = this.#exchange;
    this.#exchange = undefined;
    ex?.abort();
    this.#router.closed(this);
  };

  #onTimeout = (): void => {
    // A request in flight: the exchange's own timers (504, 408) decide.
    if (this.#state === State.Body || this.#state === State.Wait || this.#state === State.Tunnel) return;
    if (this.#state === State.Head && this.#buf) return this.#reject(408);
    this.destroy();
  };

  #onDrain = (): void => {
    this.#exchange?.clientDrained();
  };

  // ── upgrades ────────────────────────────────────────────────────────────

  /** The handshake goes to the target as is; then bytes are piped both ways until either side closes or idles out. */
  #tunnel(group: TargetGroupRuntime, target: RuntimeTarget, headText: string): void {
    this.#state = State.Tunnel;
    const client = this.#sock;
    client.off('data', this.#onData);
    client.off('end', this.#onEnd);
    client.off('timeout', this.#onTimeout);
    const pending = this.#buf;
    this.#buf = undefined;
    target.outstanding++;
    (target.tunnels ??= new Set()).add(client);
    let connected = false;
    let ended = false;
    const up: Socket = group.tls
      ? tlsConnect({ host: target.address, port: target.port, rejectUnauthorized: false })
      : netConnect({ host: target.address, port: target.port });
    const end = () => {
      if (ended) return false;
      ended = true;
      clearTimeout(connectTimer);
      target.outstanding--;
      target.tunnels?.delete(client);
      return true;
    };
    const cut = () => {
      end();
      up.destroy();
      client.destroy();
    };
    const fail = (status: number) => {
      if (!end()) return;
      up.destroy();
      client.end(rawAlbError(status, true, false), () => client.destroy());
    };
    const connectTimer = setTimeout(() => fail(504), CONNECT_TIMEOUT_MS);
    up.on('error', () => (connected ? cut() : fail(502)));
    up.on('close', () => {
      if (!connected) return fail(502);
      if (client.writableFinished) return cut();
      client.end(cut);
    });
    const idle = this.#router.site.idleTimeoutMs;
    up.setTimeout(idle, cut);
    client.setTimeout(idle, cut);
    client.on('close', cut);
    up.once(group.tls ? 'secureConnect' : 'connect', () => {
      if (ended) return;
      connected = true;
      clearTimeout(connectTimer);
      up.setNoDelay(true);
    });
    up.write(headText, 'latin1');
    if (pending) up.write(pending);
    up.pipe(client);
    client.pipe(up);
  }
}
