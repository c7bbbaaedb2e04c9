// Where the shipper puts a container's events: CloudWatch Logs (berth's own,
// through the SDK: cloudwatch-sink.ts) or, in tests, a fake. Errors carry the
// service's error code, so that the shipper can tell a missing group from an
// unreachable control plane.

export interface SinkEvent {
  /** Milliseconds since the epoch. */
  timestamp: number;
  message: string;
}

export interface PutResult {
  /** Events CloudWatch Logs refused while storing the rest (too old, expired, too new). */
  rejected?: { tooNewLogEventStartIndex?: number; tooOldLogEventEndIndex?: number; expiredLogEventEndIndex?: number };
}

export interface LogSink {
  createLogGroup(group: string): Promise<void>;
  createLogStream(group: string, stream: string): Promise<void>;
  putLogEvents(group: string, stream: string, events: SinkEvent[], opts?: { format?: string }): Promise<PutResult>;
  /** The last `count` events of the stream, oldest first (all of them when it holds fewer). */
  lastEvents(group: string, stream: string, count: number): Promise<SinkEvent[]>;
}

export class LogSinkError extends Error {
  constructor(
    /** The service's error code (ResourceNotFoundException, …), or the network error's. */
    readonly code: string,
    message: string,
    /** The HTTP status, when the service answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LogSinkError';
  }

  /** As Docker's awslogs driver prints an AWS error: "Code: message". */
  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

export function sinkErrorOf(e: unknown): LogSinkError {
  if (e instanceof LogSinkError) return e;
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  const code = (status !== undefined ? err.name : err?.code ?? err?.name) ?? 'Error';
  return new LogSinkError(code, err?.message ?? String(e), status);
}

/** Errors that retrying cannot fix: the batch itself is refused. */
export function refusesBatch(e: LogSinkError): boolean {
  return e.code === 'InvalidParameterException' || e.code === 'ValidationException' || e.code === 'SerializationException';
}
