import type { Task } from '@aws-sdk/client-ecs';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../agent/sha256.js';
import type { UsageRow } from '../control/usage.js';
import type { Connection } from './connection.js';

// A small signed json-1.1 client for berth's own ECS operations
// (BerthGetUsage, BerthInterruptSpotTasks), which no AWS SDK knows. It signs
// as the SDK does (SigV4, service `ecs`) and turns an AWS error body into an
// Error whose message is `<__type>: <message>`.

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** One signed call; resolves to the parsed JSON output. */
export async function callBerth(c: Connection, operation: string, input: object): Promise<unknown> {
  const url = new URL(c.endpoint);
  const body = JSON.stringify(input);
  const signer = new SignatureV4({ service: 'ecs', region: c.region, credentials: c.credentials, sha256: NodeSha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: '/',
    query: {},
    headers: { host: url.host, 'content-type': CONTENT_TYPE, 'x-amz-target': `${TARGET_PREFIX}.${operation}` },
    body,
  });
  let res: Response;
  try {
    res = await fetch(new URL('/', url), { method: 'POST', headers: signed.headers as Record<string, string>, body });
  } catch (e) {
    throw new Error(`cannot reach berth at ${c.endpoint} (${(e as Error).cause ? String((e as { cause: unknown }).cause) : (e as Error).message}); is it running?`);
  }
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const type = String(json?.__type ?? res.headers.get('x-amzn-errortype') ?? `HTTP ${res.status}`);
    const code = type.slice(type.lastIndexOf('#') + 1).split(':')[0];
    const message = json?.message ?? json?.Message ?? text;
    throw new Error(`${code}: ${String(message)}`);
  }
  if (json === undefined) throw new Error(`berth answered ${operation} with something that is not JSON: ${text.slice(0, 200)}`);
  return json;
}

/** A metered task as the client sees it: times back in epoch milliseconds. */
export type UsageRowOut = UsageRow;

export interface UsageOutput {
  tasks: UsageRowOut[];
  since?: number;
  until: number;
}

type Wire<T> = Omit<T, 'start' | 'end'> & { start: number; end: number };

/** BerthGetUsage: the metered Fargate tasks (and EC2 tasks, with includeEc2) of the caller's scope. */
export async function getUsage(c: Connection, input: { cluster?: string; since?: number; includeEc2?: boolean }): Promise<UsageOutput> {
  const out = (await callBerth(c, 'BerthGetUsage', {
    cluster: input.cluster,
    since: input.since === undefined ? undefined : input.since / 1000,
    includeEc2: input.includeEc2,
  })) as { tasks?: Wire<UsageRow>[]; since?: number; until: number };
  return {
    tasks: (out.tasks ?? []).map((t) => ({ ...t, start: Math.round(t.start * 1000), end: Math.round(t.end * 1000) })),
    since: out.since === undefined ? undefined : Math.round(out.since * 1000),
    until: Math.round(out.until * 1000),
  };
}

/** BerthInterruptSpotTasks: interrupts `count` or `percent` % of the cluster's running FARGATE_SPOT tasks. */
export async function interruptSpotTasks(c: Connection, input: { cluster?: string; count?: number; percent?: number }): Promise<{ tasks: Task[] }> {
  const out = (await callBerth(c, 'BerthInterruptSpotTasks', input)) as { tasks?: Task[] };
  return { tasks: out.tasks ?? [] };
}
