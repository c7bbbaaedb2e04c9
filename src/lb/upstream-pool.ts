import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

// Keep-alive connections to one target. A connection has one owner at a
// time (the exchange using it) and its socket's events go to that owner;
// idle connections wait in a stack (the most recently used first, so the
// target's keep-alive timers rarely win the race) until the target's
// keep-alive hint (less a second) or 4 s pass. Each socket gets its
// listeners once, when it is opened, not once per request.

/** What an exchange hears from its connection. */
export interface UpstreamOwner {
  onConnect(): void;
  onData(chunk: Buffer): void;
  /** The target sent FIN. */
  onEnd(): void;
  /** The socket closed (after an error, a FIN, or a destroy). */
  onClose(error: Error | undefined): void;
  onTimeout(): void;
  onDrain(): void;
}

export class UpstreamConn {
  owner: UpstreamOwner | undefined;
  connected = false;
  /** It served a request before this one (a stale keep-alive connection can fail without the target's fault). */
  reused = false;
  error: Error | undefined;
  constructor(readonly socket: Socket) {}
}

/** Idle connections kept per target at most. */
const MAX_IDLE = 256;
const DEFAULT_KEEP_ALIVE_MS = 4_000;

export class UpstreamPool {
  readonly #idle: UpstreamConn[] = [];
  readonly #busy = new Set<UpstreamConn>();
  #closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly tls: boolean,
  ) {}

  get closed(): boolean {
    return this.#closed;
  }

  /** A connection for `owner`: an idle one unless `fresh`, else a new one (connecting); undefined once the pool is closed. */
  acquire(owner: UpstreamOwner, fresh = false): UpstreamConn | undefined {
    if (this.#closed) return undefined;
    if (!fresh) {
      while (this.#idle.length) {
        const c = this.#idle.pop()!;
        if (c.socket.destroyed || !c.socket.writable) continue;
        c.owner = owner;
        c.reused = true;
        this.#busy.add(c);
        return c;
      }
    }
    const socket = this.tls
      ? tlsConnect({ host: this.host, port: this.port, rejectUnauthorized: false, servername: isIP(this.host) ? undefined : this.host })
      : netConnect({ host: this.host, port: this.port });
    const c = new UpstreamConn(socket);
    c.owner = owner;
    this.#busy.add(c);
    socket.setNoDelay(true);
    socket.once(this.tls ? 'secureConnect' : 'connect', () => {
      c.connected = true;
      c.owner?.onConnect();
    });
    socket.on('data', (d: Buffer) => {
      if (c.owner) c.owner.onData(d);
      else socket.destroy(); // bytes on an idle connection: the target broke the protocol
    });
    socket.on('end', () => {
      if (c.owner) c.owner.onEnd();
      else socket.destroy();
    });
    socket.on('error', (e: Error) => (c.error = e));
    socket.on('timeout', () => {
      if (c.owner) c.owner.onTimeout();
      else socket.destroy(); // idle long enough
    });
    socket.on('drain', () => c.owner?.onDrain());
    socket.on('close', () => {
      this.#busy.delete(c);
      const i = this.#idle.indexOf(c);
      if (i >= 0) this.#idle.splice(i, 1);
      const owner = c.owner;
      c.owner = undefined;
      owner?.onClose(c.error);
    });
    return c;
  }

  /** The exchange is over and the connection can serve another request. */
  release(c: UpstreamConn, keepAliveHintMs: number | undefined): void {
    this.#busy.delete(c);
    c.owner = undefined;
    if (this.#closed || c.socket.destroyed || !c.socket.writable || this.#idle.length >= MAX_IDLE) {
      c.socket.destroy();
      return;
    }
    const ms = keepAliveHintMs === undefined ? DEFAULT_KEEP_ALIVE_MS : Math.max(500, Math.min(keepAliveHintMs - 1_000, 60_000));
    c.socket.setTimeout(ms);
    if (c.socket.isPaused()) c.socket.resume();
    this.#idle.push(c);
  }

  /** The connection cannot serve again (the exchange failed or left the protocol in an unknown state). */
  discard(c: UpstreamConn): void {
    this.#busy.delete(c);
    c.owner = undefined;
    c.socket.destroy();
  }

  /** No new requests: idle connections close now, busy ones when their exchange ends. */
  close(): void {
    this.#closed = true;
    for (const c of this.#idle.splice(0)) c.socket.destroy();
  }

  /** Every connection closes now; exchanges in flight fail. */
  destroy(): void {
    this.close();
    for (const c of [...this.#busy]) c.socket.destroy();
  }
}
