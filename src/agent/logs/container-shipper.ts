import type { Logger } from 'pino';
import { AGENT_LOG } from '../log-fields.js';
import { AWSLOGS_LOG } from './log-fields.js';
import { batchFull, batchLength, EVENT_OVERHEAD_BYTES, MAX_BATCH_BYTES, MAX_BATCH_EVENTS, MAX_MESSAGE_BYTES } from './batch.js';
import { CURSOR_FORMAT, eventsDigest, type CursorStore, type PendingBatch, type ShipperState } from './cursor-store.js';
import { DockerLogParser, type LogEntry } from './docker-log-stream.js';
import { LineJoiner, type LogMessage } from './line-joiner.js';
import { eventsOf, MultilineGrouper, type LogEvent } from './multiline.js';
import type { AwslogsOptions } from './options.js';
import { cursorSince, LOG_START, LogPositions, type LogCursor } from './positions.js';
import { refusesBatch, sinkErrorOf, type LogSink } from './sink.js';
import { ContainerGoneError, type ContainerLogSource, type ContainerRunState } from './source.js';
import { ensureLogStream } from './stream-setup.js';

// One container's log, shipped: a reader follows Docker's log from the
// persisted cursor and turns entries into events (lines joined, multiline
// grouped, timestamps never going back); a sender takes them in batches that
// PutLogEvents accepts, names each batch in the cursor file before sending it
// and moves the cursor once CloudWatch Logs has it. When the container stops,
// the reader reaches the end of the log and the sender ships what is left:
// then the shipper is drained.
//
//   Docker log ──follow(since)──► parse ─► join lines ─► [multiline] ─► queue ──► PutLogEvents
//        ▲                                                                │ (write-ahead: pending)
//        └─────────── cursor file (since, skip, chunks) ◄── acknowledged ─┘
//
// blocking mode: the reader stops reading while the queue holds more than
// two requests' worth (Docker keeps the rest in its json-file log);
// non-blocking: it reads on and drops events beyond max-buffer-size. A
// failing PutLogEvents is retried with backoff for as long as it takes,
// except when the service refuses the batch itself (it is then dropped, with
// an error in the agent's log).

export interface ShipperDeps {
  source: ContainerLogSource;
  sink: LogSink;
  store: CursorStore;
  log: Logger;
  /** The longest an event waits in the queue before a request goes out. */
  flushDelayMs: number;
  /** Backoff of failing requests: first delay, then doubling up to max. */
  retryFirstMs: number;
  retryMaxMs: number;
  now?: () => number;
}

export interface ShipperSpec {
  taskArn: string;
  containerName: string;
  containerId: string;
  region: string;
  group: string;
  stream: string;
  options: AwslogsOptions;
}

export interface ShipperStats {
  queued: number;
  shipped: number;
  dropped: number;
  requests: number;
  failures: number;
}

/** Blocking mode: reading pauses while the queue (beyond the request in flight) holds this many bytes. */
const BLOCKING_QUEUE_BYTES = 2 * MAX_BATCH_BYTES;

export class ContainerLogShipper {
  readonly spec: ShipperSpec;
  readonly drained: Promise<void>;
  readonly #deps: ShipperDeps;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  #resolveDrained!: () => void;
  #isDrained = false;
  #closed = false;
  #started = false;

  #state!: ShipperState;
  #positions = new LogPositions();
  #grouper: MultilineGrouper | undefined;
  #expiryTimer?: NodeJS.Timeout;
  #expiryAt?: number;

  /** Events from #head on are not yet acknowledged; the first #inFlight of them are being sent. */
  #queue: LogEvent[] = [];
  /** When each queued event was read. */
  #arrivals: number[] = [];
  #head = 0;
  #queuedBytes = 0;
  #inFlight = 0;
  #inFlightBytes = 0;
  /** When the last request went out. */
  #lastSendAt = -Infinity;
  #lastTimestamp = 0;
  #readerDone = false;

  #senderWake?: () => void;
  #readerWake?: () => void;
  #writes: Promise<void> = Promise.resolve();
  readonly #stats: ShipperStats = { queued: 0, shipped: 0, dropped: 0, requests: 0, failures: 0 };
  #lastDropWarning = 0;

  constructor(spec: ShipperSpec, deps: ShipperDeps) {
    this.spec = spec;
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#log = deps.log.child({ [AGENT_LOG.taskArn]: spec.taskArn, [AGENT_LOG.container]: spec.containerName, [AWSLOGS_LOG.group]: spec.group, [AWSLOGS_LOG.stream]: spec.stream });
    this.drained = new Promise((resolve) => (this.#resolveDrained = resolve));
  }

  get isDrained(): boolean {
    return this.#isDrained;
  }

  stats(): ShipperStats {
    return { ...this.#stats, queued: this.#queue.length - this.#head };
  }

  /** Resume from the cursor file (or the log's start) and ship until the container's log ends. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#run().catch((e: unknown) => this.#log.error({ [AGENT_LOG.error]: (e as Error).stack ?? String(e) }, 'log shipper failed'));
  }

  /** Stop reading and sending; the cursor file stays, so a later shipper carries on from it. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    clearTimeout(this.#expiryTimer);
    this.#senderWake?.();
    this.#readerWake?.();
    await this.#writes;
  }

  // ------------------------------------------------------------ start-up

  async #run(): Promise<void> {
    const state = await this.#resume();
    if (!state || this.#closed) return;
    this.#state = state;
    if (state.drained) {
      this.#finish();
      return;
    }
    this.#lastTimestamp = state.lastTimestamp;
    await Promise.all([this.#read(state.cursor), this.#send()]);
  }

  /** The persisted state; a batch that was in flight when the last agent died is looked for in the stream first. */
  async #resume(): Promise<ShipperState | undefined> {
    const { store, sink } = this.#deps;
    const s = this.spec;
    const saved = store.read(s.taskArn, s.containerName);
    const fresh: ShipperState = { format: CURSOR_FORMAT, taskArn: s.taskArn, containerName: s.containerName, region: s.region, group: s.group, stream: s.stream, cursor: LOG_START, lastTimestamp: 0 };
    if (!saved) return fresh;
    const state: ShipperState = { ...saved, region: s.region, group: s.group, stream: s.stream };
    const pending = saved.pending;
    if (!pending) return state;
    let landed = false;
    for (let attempt = 1; !this.#closed; attempt++) {
      try {
        const tail = await sink.lastEvents(s.group, s.stream, pending.count);
        landed = tail.length === pending.count && eventsDigest(tail) === pending.digest;
        break;
      } catch (e) {
        const err = sinkErrorOf(e);
        if (err.code === 'ResourceNotFoundException') break;
        if (attempt === 1) this.#log.warn({ [AGENT_LOG.error]: err.toString() }, 'cannot read the log stream to find the batch in flight at the last stop; retrying');
        await this.#sleep(this.#backoff(attempt));
      }
    }
    if (this.#closed) return undefined;
    const resolved: ShipperState = landed ? { ...state, cursor: pending.cursor, lastTimestamp: pending.lastTimestamp, pending: undefined } : { ...state, pending: undefined };
    this.#log.info({ [AGENT_LOG.count]: pending.count }, landed ? 'the batch in flight at the last stop is in the stream' : 'the batch in flight at the last stop did not land; shipping it again');
    this.#state = resolved;
    await this.#persist({});
    return resolved;
  }

  // ------------------------------------------------------------ reading

  async #read(from: LogCursor): Promise<void> {
    const { source } = this.#deps;
    const opts = this.spec.options;
    const positions = (this.#positions = new LogPositions(from));
    const joiner = new LineJoiner({ maxBytes: MAX_MESSAGE_BYTES, dropChunks: from.chunks });
    this.#grouper = opts.multiline ? new MultilineGrouper(opts.multiline, { maxBytes: MAX_MESSAGE_BYTES, flushAfterMs: opts.flushIntervalMs }) : undefined;
    let since = cursorSince(from);
    let skip = from.skip;
    let skipNewest = BigInt(from.newest);
    let recordSkipped = true;
    let failures = 0;
    let parser: DockerLogParser | undefined;
    /** The follow under way began after the container was seen stopped: it reads to the end of the log. */
    let lastPass = false;

    const take = (entry: LogEntry): void => {
      if (skip > 0 && entry.time <= skipNewest) {
        // Shipped before: counted, not shipped again.
        skip--;
        if (recordSkipped) positions.record(entry.time);
        return;
      }
      skip = 0;
      this.#take(joiner.push(entry, positions.record(entry.time)));
    };

    while (!this.#closed) {
      let followed;
      try {
        followed = await source.follow(this.spec.containerId, since, this.#abort.signal);
      } catch (e) {
        if (this.#closed) return;
        if (e instanceof ContainerGoneError) {
          this.#log.warn('the container is gone; its log ends here');
          break;
        }
        failures++;
        if (failures === 1) this.#log.warn({ [AGENT_LOG.error]: String(e) }, 'cannot follow the container log; retrying');
        await this.#sleep(this.#backoff(failures));
        continue;
      }
      parser = new DockerLogParser(followed.tty);
      let ended = false;
      try {
        for await (const chunk of followed.body) {
          for (const entry of parser.push(chunk)) take(entry);
          failures = 0;
          await this.#room();
          if (this.#closed) break;
        }
        ended = true;
      } catch (e) {
        if (this.#closed) return;
        this.#log.warn({ [AGENT_LOG.error]: String(e) }, 'the container log broke off; following it again');
      }
      if (this.#closed) return;
      let state: ContainerRunState;
      try {
        state = await source.state(this.spec.containerId);
      } catch {
        state = 'running';
      }
      if (ended && state !== 'running') {
        if (lastPass) {
          for (const entry of parser.end()) take(entry);
          break;
        }
        // Docker (json-file) ends a follow that is still reading what was logged before it began as soon as the
        // container stops, short of the end: read once more, from here, now that the log no longer grows.
        lastPass = true;
      } else {
        // Broken off while the container runs: follow again after what was read.
        failures++;
        await this.#sleep(this.#backoff(failures));
      }
      const at = positions.cursorAt({ seq: positions.lastSeq, chunks: 0 });
      recordSkipped = positions.lastSeq === 0;
      since = cursorSince(at);
      skip = at.skip;
      skipNewest = BigInt(at.newest);
    }
    if (this.#closed) return;
    this.#take(joiner.end());
    if (this.#grouper) this.#enqueue(this.#grouper.end());
    clearTimeout(this.#expiryTimer);
    this.#readerDone = true;
    this.#senderWake?.();
  }

  #take(messages: LogMessage[]): void {
    if (!messages.length) return;
    const g = this.#grouper;
    if (!g) {
      this.#enqueue(eventsOf(messages));
      return;
    }
    const now = this.#now();
    const events: LogEvent[] = [];
    for (const m of messages) events.push(...g.push(m, now));
    this.#enqueue(events);
    this.#armExpiry();
  }

  /** A multiline event waits at most its flush interval for more lines. */
  #armExpiry(): void {
    const g = this.#grouper;
    const due = g?.dueAt;
    if (due === this.#expiryAt) return;
    clearTimeout(this.#expiryTimer);
    this.#expiryAt = due;
    if (due === undefined || !g) return;
    this.#expiryTimer = setTimeout(() => {
      this.#expiryAt = undefined;
      if (this.#closed || this.#readerDone) return;
      this.#enqueue(g.expire(this.#now()));
      this.#armExpiry();
    }, Math.max(0, due - this.#now()));
    this.#expiryTimer.unref();
  }

  #enqueue(events: LogEvent[]): void {
    if (!events.length) return;
    const nonBlocking = this.spec.options.mode === 'non-blocking';
    for (const e of events) {
      // PutLogEvents wants chronological batches, and the stream keeps the log's order: never go back in time.
      if (e.timestamp < this.#lastTimestamp) e.timestamp = this.#lastTimestamp;
      else this.#lastTimestamp = e.timestamp;
      const size = e.bytes + EVENT_OVERHEAD_BYTES;
      if (nonBlocking && this.#queuedBytes - this.#inFlightBytes + size > this.spec.options.maxBufferBytes && this.#queue.length - this.#head > this.#inFlight) {
        this.#dropped();
        continue;
      }
      this.#queue.push(e);
      this.#arrivals.push(this.#now());
      this.#queuedBytes += size;
      this.#stats.queued++;
    }
    this.#senderWake?.();
  }

  #dropped(): void {
    this.#stats.dropped++;
    const now = this.#now();
    if (now - this.#lastDropWarning >= 10_000) {
      this.#lastDropWarning = now;
      this.#log.warn({ [AWSLOGS_LOG.dropped]: this.#stats.dropped, [AWSLOGS_LOG.maxBufferSize]: this.spec.options.maxBufferBytes }, 'non-blocking mode: the log buffer is full; dropping log events');
    }
  }

  /** blocking mode: wait while the queue beyond the request in flight is full (Docker's log keeps the rest). */
  async #room(): Promise<void> {
    if (this.spec.options.mode !== 'blocking') return;
    const cap = this.spec.options.maxBufferedEvents + MAX_BATCH_EVENTS;
    while (!this.#closed) {
      const waiting = this.#queue.length - this.#head - this.#inFlight;
      if (waiting < cap && this.#queuedBytes - this.#inFlightBytes < BLOCKING_QUEUE_BYTES) return;
      await new Promise<void>((resolve) => (this.#readerWake = resolve));
    }
  }

  // ------------------------------------------------------------ sending

  async #send(): Promise<void> {
    for (;;) {
      await this.#ready();
      if (this.#closed) return;
      const count = this.#queue.length - this.#head;
      if (!count) {
        // The reader is done and everything is in the stream.
        await this.#persist({ drained: true });
        this.#finish();
        return;
      }
      const n = batchLength(this.#queue, this.#head);
      const batch = this.#queue.slice(this.#head, this.#head + n);
      const last = batch[n - 1]!;
      let bytes = 0;
      for (const e of batch) bytes += e.bytes + EVENT_OVERHEAD_BYTES;
      this.#inFlight = n;
      this.#inFlightBytes = bytes;
      this.#lastSendAt = this.#now();
      const events = batch.map((e) => ({ timestamp: e.timestamp, message: e.message }));
      const pending: PendingBatch = { count: n, digest: eventsDigest(events), cursor: this.#positions.cursorAt(last.end), lastTimestamp: last.timestamp };
      await this.#persist({ pending });
      if (!(await this.#put(events))) return;
      // Acknowledged.
      this.#head += n;
      this.#queuedBytes -= bytes;
      this.#inFlight = 0;
      this.#inFlightBytes = 0;
      this.#stats.shipped += n;
      this.#state = { ...this.#state, cursor: pending.cursor, lastTimestamp: pending.lastTimestamp };
      this.#positions.release(last.end);
      if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#arrivals = this.#arrivals.slice(this.#head);
        this.#head = 0;
      }
      if (this.#head === this.#queue.length && !this.#readerDone) await this.#persist({});
      this.#readerWake?.();
    }
  }

  /**
   * Until a request should go out: a full one is waiting, or the log ended,
   * or flushDelayMs has passed since the oldest event was read or since the
   * last request went out, whichever is first. A line after a quiet spell
   * goes at once; a busy log goes in one request per flushDelayMs (or per
   * full request).
   */
  async #ready(): Promise<void> {
    while (!this.#closed) {
      const count = this.#queue.length - this.#head;
      if (this.#readerDone) return;
      let waitMs: number | undefined;
      if (count) {
        if (batchFull(count, this.#queuedBytes)) return;
        waitMs = Math.min(this.#arrivals[this.#head]!, this.#lastSendAt) + this.#deps.flushDelayMs - this.#now();
        if (waitMs <= 0) return;
      }
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        this.#senderWake = () => {
          clearTimeout(timer);
          this.#senderWake = undefined;
          resolve();
        };
        if (waitMs !== undefined) timer = setTimeout(() => this.#senderWake?.(), waitMs);
      });
    }
  }

  /** PutLogEvents until CloudWatch Logs has the batch; false when the shipper closed first. */
  async #put(events: Array<{ timestamp: number; message: string }>): Promise<boolean> {
    const { sink } = this.#deps;
    const s = this.spec;
    for (let attempt = 1; ; attempt++) {
      if (this.#closed) return false;
      this.#stats.requests++;
      try {
        const r = await sink.putLogEvents(s.group, s.stream, events, { format: s.options.format });
        if (this.#closed) return false;
        if (r.rejected) this.#log.warn({ [AWSLOGS_LOG.rejected]: r.rejected }, 'CloudWatch Logs rejected some log events (too old or too new)');
        if (attempt > 1) this.#log.info({ [AWSLOGS_LOG.attempts]: attempt }, 'log events shipped again');
        return true;
      } catch (e) {
        if (this.#closed) return false;
        this.#stats.failures++;
        const err = sinkErrorOf(e);
        if (err.code === 'DataAlreadyAcceptedException') return true;
        if (refusesBatch(err)) {
          this.#log.error({ [AGENT_LOG.error]: err.toString(), [AGENT_LOG.count]: events.length }, 'CloudWatch Logs refused a batch of log events; dropping it');
          return true;
        }
        if (err.code === 'ResourceNotFoundException') {
          try {
            await ensureLogStream(sink, { group: s.group, stream: s.stream, createGroup: s.options.createGroup, createStream: s.options.createStream });
            if (attempt === 1) continue;
          } catch (e2) {
            if (attempt === 1) this.#log.warn({ [AGENT_LOG.error]: (e2 as Error).message }, 'the log stream is gone and cannot be made again; retrying');
          }
        } else if (attempt === 1 || attempt % 20 === 0) {
          this.#log.warn({ [AGENT_LOG.error]: err.toString(), [AWSLOGS_LOG.attempts]: attempt }, 'cannot ship log events; retrying');
        }
        await this.#sleep(this.#backoff(attempt));
      }
    }
  }

  // ------------------------------------------------------------ state

  async #persist(patch: Partial<ShipperState>): Promise<void> {
    const next: ShipperState = { ...this.#state, pending: undefined, ...patch };
    if (next.pending === undefined) delete next.pending;
    this.#state = next;
    this.#writes = this.#writes
      .then(() => this.#deps.store.write(next))
      .catch((e: unknown) => this.#log.error({ [AGENT_LOG.error]: String(e) }, 'could not persist the log cursor'));
    await this.#writes;
  }

  #finish(): void {
    if (this.#isDrained) return;
    this.#isDrained = true;
    this.#log.debug({ [AWSLOGS_LOG.shipped]: this.#stats.shipped, [AWSLOGS_LOG.dropped]: this.#stats.dropped }, 'container log shipped to its end');
    this.#resolveDrained();
  }

  #backoff(attempt: number): number {
    const ms = Math.min(this.#deps.retryMaxMs, this.#deps.retryFirstMs * 2 ** Math.min(attempt - 1, 20));
    return ms * (0.8 + Math.random() * 0.4);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) return resolve();
      const signal = this.#abort.signal;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
