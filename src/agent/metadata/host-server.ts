import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { containerFile, METADATA_VERSIONS, requestFile } from './layout.js';

// Host-mode tasks share the host's network namespace, so no responder can sit
// in one of their own: the agent answers them itself, on 127.0.0.1 at a port
// of its own (several agents may share a host), from the same files and by
// the same table (layout.ts) as the responders. The port is kept in a file,
// so that a restarted agent listens where the running containers were told
// to ask; when it is taken by then, a new one is chosen and only new
// containers learn it.

export const HOST_SERVER_ADDRESS = '127.0.0.1';
const NOT_FOUND = '"No task metadata at this path"';

export interface HostServerOptions {
  /** Where the port is remembered. */
  portFile: string;
  /** The task metadata directory that holds a key's files, if any. */
  lookup(key: string): string | undefined;
  log: Logger;
}

export class MetadataHostServer {
  readonly #opts: HostServerOptions;
  #server?: Server;
  #listening?: Promise<number>;
  #port?: number;

  constructor(opts: HostServerOptions) {
    this.#opts = opts;
  }

  /** The port, once listening. */
  get port(): number | undefined {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>`, once listening. */
  get baseUri(): string | undefined {
    return this.#port === undefined ? undefined : `http://${HOST_SERVER_ADDRESS}:${this.#port}`;
  }

  /** Starts listening (once); resolves with the port. */
  start(): Promise<number> {
    this.#listening ??= this.#listen().catch((e: unknown) => {
      this.#listening = undefined;
      throw e;
    });
    return this.#listening;
  }

  async close(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    this.#listening = undefined;
    this.#port = undefined;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  async #listen(): Promise<number> {
    const saved = this.#savedPort();
    let port: number;
    try {
      port = await this.#bind(saved ?? 0);
    } catch (e) {
      if (saved === undefined || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      this.#opts.log.warn({ port: saved }, 'the metadata port of host-mode tasks is taken; running host-mode containers lose their endpoint');
      port = await this.#bind(0);
    }
    this.#port = port;
    if (port !== saved) {
      mkdirSync(dirname(this.#opts.portFile), { recursive: true });
      const tmp = `${this.#opts.portFile}.tmp`;
      writeFileSync(tmp, JSON.stringify({ port }));
      renameSync(tmp, this.#opts.portFile);
    }
    return port;
  }

  #bind(port: number): Promise<number> {
    const server = createServer((req, res) => void this.#answer(req, res));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST_SERVER_ADDRESS, () => {
        server.off('error', reject);
        server.unref();
        this.#server = server;
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  #savedPort(): number | undefined {
    try {
      const p = (JSON.parse(readFileSync(this.#opts.portFile, 'utf8')) as { port?: unknown }).port;
      return typeof p === 'number' && Number.isInteger(p) && p > 0 && p < 65536 ? p : undefined;
    } catch {
      return undefined;
    }
  }

  async #answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '"Method not allowed"');
    const path = new URL(req.url ?? '/', 'http://metadata').pathname;
    const m = /^\/(v\d+)(\/.*)?$/.exec(path);
    const v = METADATA_VERSIONS.find((x) => x === m?.[1]);
    const found = v ? requestFile(v, m![2] ?? '') : undefined;
    const dir = found && this.#opts.lookup(found.key);
    if (!v || !found || !dir) return send(res, 404, NOT_FOUND);
    try {
      await access(join(dir, containerFile(v, found.key)));
      send(res, 200, await readFile(join(dir, found.file)), req.method === 'HEAD');
    } catch {
      send(res, 404, NOT_FOUND);
    }
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, headOnly = false): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}
