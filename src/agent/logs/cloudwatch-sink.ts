import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  GetLogEventsCommand,
  PutLogEventsCommand,
  type OutputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { sinkErrorOf, type LogSink, type PutResult, type SinkEvent } from './sink.js';

// The sink a real agent uses: CloudWatch Logs through the SDK, signed with the
// agent's credentials, at the control plane's endpoint.

/** GetLogEvents answers at most this many events per page. */
const PAGE_LIMIT = 10_000;
const MAX_PAGES = 50;

export class CloudWatchLogsSink implements LogSink {
  readonly #client: CloudWatchLogsClient;

  constructor(client: CloudWatchLogsClient) {
    this.#client = client;
  }

  async createLogGroup(group: string): Promise<void> {
    await guard(this.#client.send(new CreateLogGroupCommand({ logGroupName: group })));
  }

  async createLogStream(group: string, stream: string): Promise<void> {
    await guard(this.#client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })));
  }

  async putLogEvents(group: string, stream: string, events: SinkEvent[], opts: { format?: string } = {}): Promise<PutResult> {
    const command = new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events });
    const format = opts.format;
    if (format) {
      // Docker's awslogs-format: the header CloudWatch reads embedded metric format by.
      command.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers?: Record<string, string> };
          if (request.headers) request.headers['x-amzn-logs-format'] = format;
          return next(args);
        },
        { step: 'build', name: 'awslogsFormat' },
      );
    }
    const out = await guard(this.#client.send(command));
    const r = out.rejectedLogEventsInfo;
    return r ? { rejected: { tooNewLogEventStartIndex: r.tooNewLogEventStartIndex, tooOldLogEventEndIndex: r.tooOldLogEventEndIndex, expiredLogEventEndIndex: r.expiredLogEventEndIndex } } : {};
  }

  async lastEvents(group: string, stream: string, count: number): Promise<SinkEvent[]> {
    let out: SinkEvent[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES && out.length < count; page++) {
      const r = await guard(
        this.#client.send(
          new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: false, limit: Math.min(PAGE_LIMIT, count - out.length), nextToken: token }),
        ),
      );
      const events = (r.events ?? []).map((e: OutputLogEvent) => ({ timestamp: e.timestamp ?? 0, message: e.message ?? '' }));
      if (!events.length) break;
      out = [...events, ...out];
      if (!r.nextBackwardToken || r.nextBackwardToken === token) break;
      token = r.nextBackwardToken;
    }
    return out.slice(Math.max(0, out.length - count));
  }
}

async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw sinkErrorOf(e);
  }
}
