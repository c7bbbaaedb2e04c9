import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { Protocol } from './container-config.js';

// Host ports for bridge-mode containers with no fixed hostPort. ECS picks
// them from the ephemeral range 32768–61000; so does berth: a port is handed
// out only if no task of this engine holds it and a test socket can bind it
// on the instance's address right now.

export const EPHEMERAL_PORT_RANGE: readonly [number, number] = [32768, 61000];

export class HostPortAllocator {
  readonly #inUse = new Set<string>();
  readonly #host: string;
  readonly #from: number;
  readonly #to: number;

  constructor(host: string, range: readonly [number, number] = EPHEMERAL_PORT_RANGE) {
    this.#host = host;
    [this.#from, this.#to] = range;
  }

  get size(): number {
    return this.#inUse.size;
  }

  /** Record ports already in use by a task (static host ports, or adopted after a restart). */
  reserve(protocol: Protocol, first: number, count = 1): void {
    for (let p = first; p < first + count; p++) this.#inUse.add(`${p}/${protocol}`);
  }

  release(protocol: Protocol, first: number, count = 1): void {
    for (let p = first; p < first + count; p++) this.#inUse.delete(`${p}/${protocol}`);
  }

  /** A free block of `count` consecutive ports; throws when the range has none. */
  async allot(protocol: Protocol, count = 1): Promise<number> {
    const span = this.#to - this.#from + 1 - (count - 1);
    if (span <= 0) throw new Error(`no block of ${count} ports fits in ${this.#from}-${this.#to}`);
    // Start at a random place, so that agents sharing a host rarely race for the same port.
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const first = this.#from + ((start + i) % span);
      if (!this.#blockFree(protocol, first, count)) continue;
      this.reserve(protocol, first, count);
      let ok = true;
      for (let p = first; p < first + count && ok; p++) ok = await canBind(this.#host, p, protocol);
      if (ok) return first;
      this.release(protocol, first, count);
    }
    throw new Error(`no free host port left in ${this.#from}-${this.#to} on ${this.#host}`);
  }

  #blockFree(protocol: Protocol, first: number, count: number): boolean {
    for (let p = first; p < first + count; p++) if (this.#inUse.has(`${p}/${protocol}`)) return false;
    return true;
  }
}

/** Whether a socket can bind host:port right now. */
export function canBind(host: string, port: number, protocol: Protocol): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      s.once('error', () => {
        try {
          s.close();
        } catch {
          // never bound
        }
        resolve(false);
      });
      s.bind({ address: host, port, exclusive: true }, () => s.close(() => resolve(true)));
      return;
    }
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
