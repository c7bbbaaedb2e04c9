import type { ServiceEvent } from '@aws-sdk/client-ecs';
import { randomUUID } from 'node:crypto';
import type { Tx } from '../store/store.js';

// A service's event log, as DescribeServices shows it: the scheduler's own
// messages, newest first, at most 100 kept. As on ECS, a message that repeats
// the newest one is left out until six hours have passed ("duplicate event
// messages are omitted until either the cause is resolved or six hours
// passes").

export const MAX_SERVICE_EVENTS = 100;
const REPEAT_AFTER_MS = 6 * 60 * 60 * 1000;

/** Appends messages (in order) to the service's log, inside `tx`; returns those written. */
export async function addServiceEvents(tx: Tx, serviceArn: string, messages: readonly string[], now: number): Promise<string[]> {
  if (!messages.length) return [];
  const newest = await tx
    .selectFrom('service_events')
    .select(['seq', 'message', 'created_at'])
    .where('service_arn', '=', serviceArn)
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  let seq = newest?.seq ?? 0;
  let last = newest ? { message: newest.message, at: Number(newest.created_at) } : undefined;
  const written: string[] = [];
  for (const message of messages) {
    if (last && last.message === message && now - last.at < REPEAT_AFTER_MS) continue;
    seq += 1;
    await tx.insertInto('service_events').values({ id: randomUUID(), service_arn: serviceArn, seq, created_at: now, message }).execute();
    last = { message, at: now };
    written.push(message);
  }
  if (written.length) {
    await tx
      .deleteFrom('service_events')
      .where('service_arn', '=', serviceArn)
      .where('seq', '<=', seq - MAX_SERVICE_EVENTS)
      .execute();
  }
  return written;
}

export async function listServiceEvents(tx: Tx, serviceArn: string): Promise<ServiceEvent[]> {
  const rows = await tx
    .selectFrom('service_events')
    .select(['id', 'created_at', 'message'])
    .where('service_arn', '=', serviceArn)
    .orderBy('seq', 'desc')
    .limit(MAX_SERVICE_EVENTS)
    .execute();
  return rows.map((r) => ({ id: r.id, createdAt: new Date(Number(r.created_at)), message: r.message }));
}

export async function dropServiceEvents(tx: Tx, serviceArn: string): Promise<void> {
  await tx.deleteFrom('service_events').where('service_arn', '=', serviceArn).execute();
}

/** ECS's texts. */
export const EVENT = {
  steady: (service: string) => `(service ${service}) has reached a steady state.`,
  started: (service: string, taskIds: readonly string[]) => `(service ${service}) has started ${taskIds.length} tasks: ${taskIds.map((id) => `(task ${id})`).join(' ')}.`,
  stopped: (service: string, taskIds: readonly string[]) =>
    `(service ${service}) has stopped ${taskIds.length} running tasks: ${taskIds.map((id) => `(task ${id})`).join(' ')}.`,
  unplaceable: (service: string, detail: string) =>
    `(service ${service}) was unable to place a task because no container instance met all of its requirements. ${detail} For more information, see the Troubleshooting section.`,
  throttled: (service: string) => `(service ${service}) is unable to consistently start tasks successfully.`,
  stuck: (service: string) =>
    `(service ${service}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
  deploymentCompleted: (service: string, deploymentId: string) => `(service ${service}) (deployment ${deploymentId}) deployment completed.`,
  deploymentFailed: (service: string, deploymentId: string) => `(service ${service}) (deployment ${deploymentId}) deployment failed: tasks failed to start.`,
  rollingBack: (service: string, deploymentId: string) => `(service ${service}) rolling back to deployment ${deploymentId}.`,
  registeredTargets: (service: string, n: number, targetGroupArn: string) => `(service ${service}) registered ${n} targets in (target-group ${targetGroupArn})`,
  drainingConnections: (service: string, n: number) => `(service ${service}) has begun draining connections on ${n} tasks.`,
  elbUnhealthy: (service: string, port: number, targetGroupArn: string, reason: string) =>
    `(service ${service}) (port ${port}) is unhealthy in (target-group ${targetGroupArn}) due to (reason ${reason}).`,
} as const;
