import type { LoadBalancer as ServiceLoadBalancer, TaskDefinition } from '@aws-sdk/client-ecs';
import { AwsError } from '../../gateway/errors.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import type { TaskBody } from '../task-state.js';
import { inScope, readTargetGroup, targetGroupUsers } from './records.js';
import type { TaskTarget, Targets } from './targets.js';

// Where ECS services meet the load balancers: the checks CreateService and
// UpdateService make on `loadBalancers`, the targets a task stands for
// (bridge: the instance and the host port Docker picked; awsvpc: the task's
// own address and the container port), and the registration of a service's
// RUNNING tasks that are not registered yet. Draining before a stop goes
// through Targets.deregisterTaskIn (Tasks calls it on every stop path).

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

export const MAX_SERVICE_TARGET_GROUPS = 5;

/** ECS's checks of a service's loadBalancers against its task definition. */
export async function checkServiceLoadBalancers(tx: Tx, scope: Scope, lbs: readonly ServiceLoadBalancer[] | undefined, td: TaskDefinition): Promise<ServiceLoadBalancer[]> {
  if (!lbs?.length) return [];
  if (lbs.length > MAX_SERVICE_TARGET_GROUPS) throw invalid(`A service can have at most ${MAX_SERVICE_TARGET_GROUPS} target groups; ${lbs.length} were given.`);
  const users = await targetGroupUsers(tx, scope.accountId, scope.region);
  const out: ServiceLoadBalancer[] = [];
  const seen = new Set<string>();
  for (const lb of lbs) {
    if (lb.loadBalancerName) throw invalid('berth has no Classic Load Balancers: name a targetGroupArn instead of loadBalancerName.');
    const arn = lb.targetGroupArn;
    if (!arn) throw invalid('loadBalancers[].targetGroupArn must be specified.');
    const tg = await readTargetGroup(tx, arn);
    if (!tg || !inScope(scope, arn)) throw invalid(`Target group '${arn}' was not found; create it with 'aws elbv2 create-target-group' first.`);
    if (!users.get(arn)?.size) throw invalid(`The target group with targetGroupArn ${arn} does not have an associated load balancer.`);
    if (!lb.containerName) throw invalid('loadBalancers[].containerName must be specified.');
    if (lb.containerPort === undefined || lb.containerPort === null) throw invalid('loadBalancers[].containerPort must be specified.');
    const container = td.containerDefinitions?.find((c) => c.name === lb.containerName);
    if (!container) throw invalid(`The container ${lb.containerName} does not exist in the task definition.`);
    if (!container.portMappings?.some((p) => p.containerPort === lb.containerPort)) {
      throw invalid(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
    }
    const mode = td.networkMode ?? 'bridge';
    const type = tg.body.description.TargetType;
    if (mode === 'awsvpc' && type !== 'ip') {
      throw invalid(`The provided target group ${arn} has target type ${type}, which is incompatible with the awsvpc network mode specified in the task definition.`);
    }
    if (mode !== 'awsvpc' && type !== 'instance') {
      throw invalid(`The provided target group ${arn} has target type ${type}, which is incompatible with the ${mode} network mode specified in the task definition.`);
    }
    const key = `${arn}\n${lb.containerName}\n${lb.containerPort}`;
    if (seen.has(key)) throw invalid(`The target group ${arn} is given twice for container ${lb.containerName} port ${lb.containerPort}.`);
    seen.add(key);
    out.push({ targetGroupArn: arn, containerName: lb.containerName, containerPort: lb.containerPort });
  }
  return out;
}

/**
 * The targets a RUNNING task stands for in the service's target groups;
 * undefined while one is not known yet (no host port reported).
 */
export function taskTargets(task: TaskBody, ec2InstanceId: string | undefined, lbs: readonly ServiceLoadBalancer[]): TaskTarget[] | undefined {
  const out: TaskTarget[] = [];
  for (const lb of lbs) {
    if (task.eni) {
      const ip = task.eni.privateIPv4Address;
      out.push({ targetGroupArn: lb.targetGroupArn!, id: ip, port: lb.containerPort!, address: ip, availabilityZone: task.availabilityZone });
      continue;
    }
    const binding = task.containers.find((c) => c.name === lb.containerName)?.networkBindings.find((b) => b.containerPort === lb.containerPort && (b.protocol ?? 'tcp') === 'tcp');
    if (!binding?.hostPort || !ec2InstanceId) return undefined;
    const bindIP = !binding.bindIP || binding.bindIP === '0.0.0.0' || binding.bindIP === '::' ? '127.0.0.1' : binding.bindIP;
    out.push({ targetGroupArn: lb.targetGroupArn!, id: ec2InstanceId, port: binding.hostPort, address: bindIP });
  }
  return out;
}

/**
 * Registers the service's RUNNING tasks that are not registered yet, and
 * drains the targets of its tasks that stopped on their own (a container
 * exited). Returns how many targets each group gained.
 */
export async function registerServiceTasks(store: Store, targets: Targets, service: { clusterArn: string; name: string; loadBalancers: readonly ServiceLoadBalancer[] }, now: number): Promise<Map<string, number>> {
  if (!service.loadBalancers.length) return new Map();
  return store.transaction(async (tx) => {
    const rows = await tx
      .selectFrom('tasks')
      .leftJoin('container_instances', 'container_instances.arn', 'tasks.container_instance_arn')
      .select(['tasks.arn as arn', 'tasks.body as body', 'container_instances.ec2_instance_id as ec2'])
      .where('tasks.cluster_arn', '=', service.clusterArn)
      .where('tasks.service_name', '=', service.name)
      .where('tasks.last_status', '=', 'RUNNING')
      .where('tasks.desired_status', '=', 'RUNNING')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('elb_targets').select('elb_targets.task_arn').whereRef('elb_targets.task_arn', '=', 'tasks.arn'))))
      .execute();
    const added = new Map<string, number>();
    for (const r of rows) {
      const wanted = taskTargets(JSON.parse(r.body) as TaskBody, r.ec2 ?? undefined, service.loadBalancers);
      if (!wanted) continue;
      for (const [tg, n] of await targets.registerTaskIn(tx, r.arn, wanted, now)) added.set(tg, (added.get(tg) ?? 0) + n);
    }
    const gone = await tx
      .selectFrom('elb_targets')
      .innerJoin('tasks', 'tasks.arn', 'elb_targets.task_arn')
      .select('tasks.arn as arn')
      .distinct()
      .where('tasks.cluster_arn', '=', service.clusterArn)
      .where('tasks.service_name', '=', service.name)
      .where('tasks.last_status', '=', 'STOPPED')
      .where('elb_targets.state', '<>', 'draining')
      .execute();
    for (const g of gone) await targets.deregisterTaskIn(tx, g.arn, now);
    return added;
  });
}
