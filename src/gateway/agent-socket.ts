import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  AGENT_CONNECT_PATH,
  AGENT_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
  type AgentMessage,
  type ControlMessage,
  type TaskAssignment,
} from '../agent/protocol.js';
import { AwsError } from './errors.js';
import { readSignature, verifySignature, type Caller, type KeyLookup } from './sigv4.js';
import { LOG } from '../log.js';

// The control plane's end of the agent connections: one WebSocket per
// container instance, authenticated with a SigV4-presigned URL like every
// other call. On connect the agent gets the full desired state of its tasks;
// afterwards only changes. Heartbeats keep `agentConnected` true.

/** What the hub needs from the control core (kept as an interface so gateway/ does not reach into control/). */
export interface AgentDirectory {
  /** The instance's account and region, or undefined when it is not registered. */
  instanceScope(containerInstanceArn: string): Promise<{ accountId: string; region: string } | undefined>;
  assignmentsFor(containerInstanceArn: string): Promise<TaskAssignment[]>;
  markConnected(containerInstanceArn: string, connected: boolean, now: number): Promise<void>;
}

interface Connection {
  socket: WebSocket;
  lastSeen: number;
}

export class AgentHub {
  #wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  #connections = new Map<string, Connection>();
  #timer: NodeJS.Timeout;

  constructor(
    readonly directory: AgentDirectory,
    readonly keys: KeyLookup,
    readonly log: Logger,
  ) {
    this.#timer = setInterval(() => void this.#expire(), Math.min(AGENT_TIMEOUT_MS / 3, 5_000));
    this.#timer.unref();
  }

  /** For `server.on('upgrade')`: takes the request when it is for the agent path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== AGENT_CONNECT_PATH) return false;
    void this.#accept(req, socket, head, path, q < 0 ? '' : url.slice(q + 1));
    return true;
  }

  async #accept(req: IncomingMessage, socket: Duplex, head: Buffer, rawPath: string, rawQuery: string) {
    let caller: Caller;
    let instanceArn: string;
    try {
      const headers: Record<string, string> = {};
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]!.toLowerCase()] = req.rawHeaders[i + 1]!;
      const signed = { method: req.method ?? 'GET', rawPath, rawQuery, headers, body: Buffer.alloc(0) };
      const sig = readSignature(signed);
      if (!sig) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
      caller = verifySignature(signed, sig, this.keys, Date.now());
      instanceArn = new URLSearchParams(rawQuery).get('containerInstance') ?? '';
      const scope = await this.directory.instanceScope(instanceArn);
      if (!scope || scope.accountId !== caller.accountId) {
        throw new AwsError('InvalidParameterException', `Container instance '${instanceArn}' is not registered; register it before connecting.`, { status: 404 });
      }
    } catch (e) {
      const error = e instanceof AwsError ? e : new AwsError('InternalFailure', String(e));
      const body = JSON.stringify({ __type: error.code, message: error.message });
      socket.end(`HTTP/1.1 ${error.status} ${error.status === 403 ? 'Forbidden' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => void this.#connected(instanceArn, ws));
  }

  async #connected(instanceArn: string, ws: WebSocket) {
    const previous = this.#connections.get(instanceArn);
    if (previous) previous.socket.close(4000, 'replaced by a newer connection of the same container instance');
    const conn: Connection = { socket: ws, lastSeen: Date.now() };
    this.#connections.set(instanceArn, conn);
    ws.on('message', (data) => {
      conn.lastSeen = Date.now();
      let msg: AgentMessage | undefined;
      try {
        msg = JSON.parse(String(data)) as AgentMessage;
      } catch {
        return;
      }
      if (msg?.type === 'heartbeat') this.#send(ws, { type: 'heartbeat', at: Date.now() });
    });
    ws.on('close', () => {
      if (this.#connections.get(instanceArn) !== conn) return;
      this.#connections.delete(instanceArn);
      void this.directory.markConnected(instanceArn, false, Date.now()).catch((e) => this.log.warn({ err: e }, 'could not mark an agent disconnected'));
    });
    ws.on('error', () => ws.terminate());
    try {
      await this.directory.markConnected(instanceArn, true, Date.now());
      this.#send(ws, { type: 'welcome', containerInstanceArn: instanceArn, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS });
      this.#send(ws, { type: 'tasks', full: true, tasks: await this.directory.assignmentsFor(instanceArn) });
      this.log.info({ containerInstance: instanceArn }, 'agent connected');
    } catch (e) {
      this.log.error({ err: e, containerInstance: instanceArn }, 'could not send an agent its tasks');
      ws.close(1011, 'control plane error');
    }
  }

  /** AgentNotifier: push changed tasks to the instance's agent, if it is connected (else it gets them on connect). */
  tasksChanged(containerInstanceArn: string, tasks: TaskAssignment[]): void {
    const conn = this.#connections.get(containerInstanceArn);
    if (conn && tasks.length) this.#send(conn.socket, { type: 'tasks', full: false, tasks });
  }

  isConnected(containerInstanceArn: string): boolean {
    return this.#connections.has(containerInstanceArn);
  }

  #send(ws: WebSocket, msg: ControlMessage) {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  }

  async #expire() {
    const now = Date.now();
    for (const [arn, conn] of this.#connections) {
      if (now - conn.lastSeen > AGENT_TIMEOUT_MS) {
        this.log.warn({ containerInstance: arn, [LOG.status]: 'timeout' }, 'agent missed its heartbeats; closing its connection');
        conn.socket.terminate();
      }
    }
  }

  close(): void {
    clearInterval(this.#timer);
    for (const conn of this.#connections.values()) conn.socket.terminate();
    this.#connections.clear();
    this.#wss.close();
  }
}
