import { sinkErrorOf, type LogSink } from './sink.js';

// The log stream (and, with awslogs-create-group, the group) a container's
// events go to, made as Docker's awslogs driver makes them when the container
// starts: CreateLogStream; when the group is missing and may be created,
// CreateLogGroup and CreateLogStream again; "already exists" is success. The
// error reads as Docker's, which ECS shows after "CannotStartContainerError:
// Error response from daemon: failed to initialize logging driver: ".

export interface StreamTarget {
  group: string;
  stream: string;
  createGroup: boolean;
  /** awslogs-create-stream=false: the stream is someone else's to make. */
  createStream: boolean;
}

export async function ensureLogStream(sink: LogSink, t: StreamTarget): Promise<void> {
  if (!t.createStream) return;
  try {
    await createStream(sink, t);
    return;
  } catch (e) {
    const err = sinkErrorOf(e);
    if (err.code !== 'ResourceNotFoundException' || !t.createGroup) throw new Error(`failed to create Cloudwatch log stream: ${err.toString()}`);
  }
  try {
    await sink.createLogGroup(t.group);
  } catch (e) {
    const err = sinkErrorOf(e);
    if (err.code !== 'ResourceAlreadyExistsException') throw new Error(`failed to create Cloudwatch log group: ${err.toString()}`);
  }
  try {
    await createStream(sink, t);
  } catch (e) {
    throw new Error(`failed to create Cloudwatch log stream: ${sinkErrorOf(e).toString()}`);
  }
}

async function createStream(sink: LogSink, t: StreamTarget): Promise<void> {
  try {
    await sink.createLogStream(t.group, t.stream);
  } catch (e) {
    if (sinkErrorOf(e).code !== 'ResourceAlreadyExistsException') throw e;
  }
}
