import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { ListenerConfig } from './config.js';
import { compileRules, type CompiledAction } from './listener-actions.js';
import { LB_LOG } from './log-fields.js';
import { selectFlowTarget, type StreamListenerDeps } from './tcp-listener.js';
import type { RuntimeTarget } from './target-group.js';

// A Network Load Balancer UDP listener (and the UDP half of TCP_UDP): each
// client (address, port) is a flow, bound to one target on its first
// datagram; datagrams go to the target from a socket of the flow's own, and
// what the target sends back goes to the client from the listener's socket.
// A flow idle for the idle timeout is forgotten. At most MAX_FLOWS flows at
// once: datagrams that would open another are dropped.

const MAX_FLOWS = 10_000;

interface Flow {
  socket: Socket;
  target: RuntimeTarget;
  last: number;
}

export class UdpListener {
  config: ListenerConfig;
  readonly #deps: StreamListenerDeps;
  #socket: Socket | undefined;
  #action: CompiledAction | undefined;
  readonly #flows = new Map<string, Flow>();
  #sweep: NodeJS.Timeout | undefined;

  constructor(config: ListenerConfig, deps: StreamListenerDeps) {
    this.config = config;
    this.#deps = deps;
    this.#action = this.#compile(config);
  }

  async listen(): Promise<void> {
    const c = this.config;
    const socket = createSocket({ type: c.address.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: c.address, port: c.port, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.#deps.log.warn({ [LB_LOG.listener]: c.arn, [LB_LOG.err]: err }, 'udp listener error'));
        resolve();
      });
    });
    socket.on('message', this.#onMessage);
    this.#socket = socket;
    const every = Math.max(250, Math.min(5_000, Math.floor(c.idleTimeoutMs / 4)));
    this.#sweep = setInterval(() => this.#expire(), every);
    this.#sweep.unref();
  }

  update(config: ListenerConfig): void {
    this.config = config;
    this.#action = this.#compile(config);
  }

  async close(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    for (const f of this.#flows.values()) this.#endFlow(f);
    this.#flows.clear();
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  #compile(config: ListenerConfig): CompiledAction | undefined {
    const compiled = compileRules(config.rules, config.loadBalancerArn, this.#deps.counts);
    const rule = config.rules.find((r) => r.priority === 'default') ?? config.rules[config.rules.length - 1];
    return rule ? compiled.actions.get(rule) : undefined;
  }

  #onMessage = (msg: Buffer, from: RemoteInfo): void => {
    const now = this.#deps.now();
    const key = `${from.address}|${from.port}`;
    let flow = this.#flows.get(key);
    if (!flow || flow.target.state === 'draining') {
      if (flow) this.#dropFlow(key, flow);
      if (this.#flows.size >= MAX_FLOWS) return;
      const sel = selectFlowTarget(this.#action, this.#deps, from.address, now);
      if (!sel) return;
      const socket = createSocket({ type: sel.target.address.includes(':') ? 'udp6' : 'udp4' });
      socket.on('error', () => undefined);
      const target = sel.target;
      socket.on('message', (reply, rinfo) => {
        if (rinfo.port !== target.port) return;
        const f = this.#flows.get(key);
        if (f) f.last = this.#deps.now();
        this.#socket?.send(reply, from.port, from.address);
      });
      flow = { socket, target, last: now };
      target.outstanding++;
      this.#flows.set(key, flow);
    }
    flow.last = now;
    flow.socket.send(msg, flow.target.port, flow.target.address);
  };

  #expire(): void {
    const now = this.#deps.now();
    const idle = this.config.idleTimeoutMs;
    for (const [key, f] of this.#flows) if (now - f.last >= idle) this.#dropFlow(key, f);
  }

  #dropFlow(key: string, f: Flow): void {
    this.#flows.delete(key);
    this.#endFlow(f);
  }

  #endFlow(f: Flow): void {
    f.target.outstanding--;
    try {
      f.socket.close();
    } catch {
      /* already closed */
    }
  }
}
