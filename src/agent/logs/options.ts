import type { HostSpec } from '../runtime/runtime.js';
import { multilineStart } from './multiline.js';

// The options of an `awslogs` logConfiguration, read as the ECS agent and
// Docker's awslogs driver read them, with Docker's error texts. The ECS
// agent's own option, awslogs-stream-prefix, names the stream
// `prefix/container-name/task-id`; without it the stream is Docker's default,
// the container's id (or awslogs-stream, or the `tag` template).
//
// The container itself logs with json-file (DOCKER_LOG_CONFIG); the agent
// follows that log and ships it. json-file never blocks the container, in
// either mode: `mode` decides what the agent does when CloudWatch Logs does
// not take events fast enough. blocking: stop reading Docker's log until it
// does (the lines wait in the json-file, up to its rotation limit);
// non-blocking: keep reading, and drop what does not fit in max-buffer-size.

export type AwslogsMode = 'blocking' | 'non-blocking';

export interface AwslogsOptions {
  group: string;
  /** awslogs-region; absent: the agent's region. */
  region?: string;
  streamPrefix?: string;
  /** awslogs-stream (Docker's option: the stream's whole name). */
  stream?: string;
  /** Docker's `tag`: a template for the stream name when neither prefix nor stream is given. */
  tag?: string;
  createGroup: boolean;
  createStream: boolean;
  mode: AwslogsMode;
  /** non-blocking: bytes of events the agent holds before it drops new ones. */
  maxBufferBytes: number;
  /** blocking: events held beyond one full request before reading pauses (awslogs-max-buffered-events). */
  maxBufferedEvents: number;
  /** awslogs-force-flush-interval-seconds: how long a multiline event may wait for more lines. */
  flushIntervalMs: number;
  /** awslogs-multiline-pattern or awslogs-datetime-format, compiled. */
  multiline?: RegExp;
  /** awslogs-format: json/emf, sent as the x-amzn-logs-format header. */
  format?: string;
  /** Options that have no meaning in berth (the agent ships to its own control plane, with its own credentials). */
  ignored: string[];
}

/** The options Docker's awslogs driver accepts, plus ECS's stream prefix and Docker's generic mode options. */
const KNOWN = new Set([
  'awslogs-group',
  'awslogs-region',
  'awslogs-stream-prefix',
  'awslogs-stream',
  'awslogs-create-group',
  'awslogs-create-stream',
  'awslogs-datetime-format',
  'awslogs-multiline-pattern',
  'awslogs-force-flush-interval-seconds',
  'awslogs-max-buffered-events',
  'awslogs-format',
  'awslogs-endpoint',
  'awslogs-credentials-endpoint',
  'tag',
  'mode',
  'max-buffer-size',
]);
const IGNORED = ['awslogs-endpoint', 'awslogs-credentials-endpoint'];

/** Docker's defaults. */
export const DEFAULT_MAX_BUFFER_BYTES = 1_000_000;
export const DEFAULT_MAX_BUFFERED_EVENTS = 4096;
export const DEFAULT_FLUSH_INTERVAL_MS = 5_000;

/**
 * What the container's own Docker log is: json-file, rotated at 32 MiB, five
 * files kept, so that an agent that is down for a while finds the lines it
 * has not shipped (160 MiB per container at most).
 */
export const DOCKER_LOG_CONFIG: NonNullable<HostSpec['LogConfig']> = { Type: 'json-file', Config: { 'max-size': '32m', 'max-file': '5' } };

export function parseAwslogsOptions(options: Record<string, string> | undefined): AwslogsOptions {
  const o = options ?? {};
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) throw new Error(`unknown log opt '${key}' for awslogs log driver`);
  const group = o['awslogs-group'];
  if (!group) throw new Error("must specify a value for log opt 'awslogs-group'");
  const datetimeFormat = o['awslogs-datetime-format'];
  const multilinePattern = o['awslogs-multiline-pattern'];
  if (datetimeFormat !== undefined && multilinePattern !== undefined) {
    throw new Error("you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' at the same time");
  }
  const format = o['awslogs-format'] || undefined;
  if (format !== undefined) {
    if (format !== 'json/emf') throw new Error(`unsupported log format '${format}'`);
    if (datetimeFormat !== undefined || multilinePattern !== undefined) {
      throw new Error("you cannot configure log opt 'awslogs-datetime-format' or 'awslogs-multiline-pattern' when log opt 'awslogs-format' is set to 'json/emf'");
    }
  }
  const mode = o.mode || 'blocking';
  if (mode !== 'blocking' && mode !== 'non-blocking') throw new Error(`logger: logging mode not supported: ${mode}`);
  return {
    group,
    region: o['awslogs-region'] || undefined,
    streamPrefix: o['awslogs-stream-prefix'] || undefined,
    stream: o['awslogs-stream'] || undefined,
    tag: o.tag || undefined,
    createGroup: parseBool(o, 'awslogs-create-group', false),
    createStream: parseBool(o, 'awslogs-create-stream', true),
    mode,
    maxBufferBytes: o['max-buffer-size'] ? parseSize(o['max-buffer-size']) : DEFAULT_MAX_BUFFER_BYTES,
    maxBufferedEvents: positive(o, 'awslogs-max-buffered-events') ?? DEFAULT_MAX_BUFFERED_EVENTS,
    flushIntervalMs: (positive(o, 'awslogs-force-flush-interval-seconds') ?? DEFAULT_FLUSH_INTERVAL_MS / 1000) * 1000,
    multiline: multilineStart({ datetimeFormat: datetimeFormat || undefined, multilinePattern: multilinePattern || undefined }),
    format,
    ignored: IGNORED.filter((k) => o[k] !== undefined),
  };
}

export interface StreamNaming {
  taskArn: string;
  containerName: string;
  /** The Docker container's full id. */
  containerId: string;
  /** The Docker container's name. */
  dockerName: string;
  image: string;
}

/** The log stream, as ECS (with a prefix) or Docker (without) names it. */
export function streamName(o: AwslogsOptions, c: StreamNaming): string {
  if (o.streamPrefix) return `${o.streamPrefix}/${c.containerName}/${c.taskArn.slice(c.taskArn.lastIndexOf('/') + 1)}`;
  if (o.stream) return o.stream;
  if (o.tag) return renderTag(o.tag, c);
  return c.containerId;
}

/** Docker's log tag template, for the fields that need no image inspection. */
function renderTag(tag: string, c: StreamNaming): string {
  const fields: Record<string, string> = {
    ID: c.containerId.slice(0, 12),
    FullID: c.containerId,
    Name: c.dockerName,
    ImageName: c.image,
    DaemonName: 'docker',
  };
  const out = tag.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_whole, field: string) => {
    const v = fields[field];
    if (v === undefined) throw new Error(`awslogs tag ${tag}: berth fills only {{.ID}}, {{.FullID}}, {{.Name}}, {{.ImageName}} and {{.DaemonName}}`);
    return v;
  });
  if (out.includes('{{')) throw new Error(`awslogs tag ${tag}: berth fills only {{.ID}}, {{.FullID}}, {{.Name}}, {{.ImageName}} and {{.DaemonName}}`);
  return out;
}

/** Go's strconv.ParseBool. */
function parseBool(o: Record<string, string>, key: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined || v === '') return dflt;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw new Error(`must specify valid value for log opt '${key}': strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function positive(o: Record<string, string>, key: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === '') return undefined;
  const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`must specify a positive integer for log opt '${key}': ${v}`);
  return n;
}

/** Docker's units.RAMInBytes: "1m", "512k", "2g", "100mb", binary multiples. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(text.trim());
  if (!m) throw new Error(`invalid size: '${text}'`);
  const unit = { k: 1, m: 2, g: 3, t: 4, p: 5 }[(m[2] ?? '').toLowerCase() as 'k'] ?? 0;
  return Math.floor(Number(m[1]) * 1024 ** unit);
}
