import { LogSinkError, type LogSink, type PutResult, type SinkEvent } from '../../../src/agent/logs/sink.js';
import { ContainerGoneError, type ContainerLogSource, type ContainerRunState, type FollowedLog } from '../../../src/agent/logs/source.js';
import { MAX_BATCH_BYTES, MAX_BATCH_EVENTS, EVENT_OVERHEAD_BYTES } from '../../../src/agent/logs/batch.js';

// A container's Docker log and CloudWatch Logs, in memory, for the shipper's
// tests: the log answers `since` and follows as Docker does (entries at or
// after `since`, in the log's order; the body ends when the container stops),
// and the sink stores what PutLogEvents gets, checking its rules.

export const T0 = 1_780_000_000_000_000_000n;

/** Docker's RFC3339Nano (fixed, UTC) of nanoseconds since the epoch. */
export function dockerTime(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString().slice(0, 19);
  return `${iso}.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`;
}

export interface FakeEntry {
  time: bigint;
  stream: 'stdout' | 'stderr';
  data: string;
  partial?: boolean;
}

/** A multiplexed frame as Docker writes it: header, "TIME data[\n]". */
export function frame(e: FakeEntry): Buffer {
  const payload = Buffer.from(`${dockerTime(e.time)} ${e.data}${e.partial ? '' : '\n'}`);
  const header = Buffer.alloc(8);
  header[0] = e.stream === 'stdout' ? 1 : 2;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export class FakeDockerLog implements ContainerLogSource {
  readonly entries: FakeEntry[] = [];
  running = true;
  gone = false;
  follows = 0;
  /** Break the next body after this many frames (the stream fails while the container runs). */
  breakAfter: number | undefined;
  /** Frames written to bodies so far. */
  framesServed = 0;
  /**
   * Docker 20.10's json-file follow: it first reads what the log held when the
   * follow began, and if the container has stopped by the time it gets there,
   * it ends, short of what was logged meanwhile.
   */
  dockerFollowRace = true;
  #waiters = new Set<() => void>();

  write(data: string, stream: 'stdout' | 'stderr' = 'stdout', time?: bigint, partial = false): void {
    const last = this.entries.at(-1)?.time ?? T0;
    this.entries.push({ time: time ?? last + 1000n, stream, data, partial });
    this.#wake();
  }

  stop(): void {
    this.running = false;
    this.#wake();
  }

  #wake(): void {
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  async follow(_id: string, since: string, signal: AbortSignal): Promise<FollowedLog> {
    if (this.gone) throw new ContainerGoneError(_id);
    this.follows++;
    const [s, n] = since.split('.');
    const from = BigInt(s!) * 1_000_000_000n + BigInt((n ?? '0').padEnd(9, '0'));
    const breakAfter = this.breakAfter;
    this.breakAfter = undefined;
    const snapshot = this.entries.length;
    const self = this;
    async function* body(): AsyncGenerator<Buffer> {
      let i = 0;
      let served = 0;
      for (;;) {
        if (signal.aborted) throw new Error('aborted');
        if (i === snapshot && !self.running && self.dockerFollowRace) return;
        if (i < self.entries.length) {
          const e = self.entries[i++]!;
          if (e.time < from) continue;
          if (breakAfter !== undefined && served >= breakAfter) throw new Error('connection reset');
          served++;
          self.framesServed++;
          // Split frames across chunks now and then, as a socket does.
          const f = frame(e);
          if (served % 7 === 0 && f.length > 10) {
            yield f.subarray(0, 5);
            yield f.subarray(5);
          } else yield f;
          continue;
        }
        if (!self.running) return;
        await new Promise<void>((resolve) => {
          self.#waiters.add(resolve);
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
    }
    return { tty: false, body: body() };
  }

  async state(): Promise<ContainerRunState> {
    return this.gone ? 'gone' : this.running ? 'running' : 'stopped';
  }
}

type PutHook = (events: SinkEvent[]) => 'ok' | 'store-then-hang' | 'hang' | LogSinkError | undefined;

export class FakeCloudWatch implements LogSink {
  readonly groups = new Set<string>();
  readonly streams = new Map<string, SinkEvent[]>();
  puts = 0;
  /** Decides each PutLogEvents (default: store it). */
  onPut: PutHook | undefined;
  /** Failures of lastEvents before it answers. */
  lastEventsFailures = 0;

  stream(group: string, stream: string): SinkEvent[] | undefined {
    return this.streams.get(`${group}\n${stream}`);
  }

  async createLogGroup(group: string): Promise<void> {
    if (this.groups.has(group)) throw new LogSinkError('ResourceAlreadyExistsException', 'The specified log group already exists', 400);
    this.groups.add(group);
  }

  async createLogStream(group: string, stream: string): Promise<void> {
    if (!this.groups.has(group)) throw new LogSinkError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
    const key = `${group}\n${stream}`;
    if (this.streams.has(key)) throw new LogSinkError('ResourceAlreadyExistsException', 'The specified log stream already exists', 400);
    this.streams.set(key, []);
  }

  async putLogEvents(group: string, stream: string, events: SinkEvent[]): Promise<PutResult> {
    this.puts++;
    const decision = this.onPut?.(events) ?? 'ok';
    if (decision instanceof LogSinkError) throw decision;
    if (decision === 'hang') return new Promise(() => {});
    const list = this.streams.get(`${group}\n${stream}`);
    if (!this.groups.has(group)) throw new LogSinkError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
    if (!list) throw new LogSinkError('ResourceNotFoundException', 'The specified log stream does not exist.', 400);
    if (!events.length || events.length > MAX_BATCH_EVENTS) throw new LogSinkError('InvalidParameterException', `bad event count ${events.length}`, 400);
    let bytes = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      const b = Buffer.byteLength(e.message);
      if (!b) throw new LogSinkError('InvalidParameterException', 'empty message', 400);
      if (b + EVENT_OVERHEAD_BYTES > 262_144) throw new LogSinkError('InvalidParameterException', 'Log event too large', 400);
      bytes += b + EVENT_OVERHEAD_BYTES;
      if (i && e.timestamp < events[i - 1]!.timestamp) throw new LogSinkError('InvalidParameterException', 'Log events in a single PutLogEvents request must be in chronological order.', 400);
    }
    if (bytes > MAX_BATCH_BYTES) throw new LogSinkError('InvalidParameterException', `Upload too large: ${bytes} bytes`, 400);
    if (events.at(-1)!.timestamp - events[0]!.timestamp > 24 * 3600 * 1000) throw new LogSinkError('InvalidParameterException', 'span', 400);
    list.push(...events.map((e) => ({ ...e })));
    if (decision === 'store-then-hang') return new Promise(() => {});
    return {};
  }

  async lastEvents(group: string, stream: string, count: number): Promise<SinkEvent[]> {
    if (this.lastEventsFailures > 0) {
      this.lastEventsFailures--;
      throw new LogSinkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4600');
    }
    const list = this.streams.get(`${group}\n${stream}`);
    if (!list) throw new LogSinkError('ResourceNotFoundException', 'The specified log stream does not exist.', 400);
    return list.slice(Math.max(0, list.length - count)).map((e) => ({ ...e }));
  }
}

export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
