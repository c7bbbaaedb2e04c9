import type { Tx } from '../store/store.js';

// What runs in a cluster: the counts DescribeClusters reports and DeleteCluster
// refuses on.

export interface ClusterUsage {
  /** ACTIVE and DRAINING instances. */
  registeredContainerInstancesCount: number;
  /** Tasks whose lastStatus is RUNNING. */
  runningTasksCount: number;
  /** Tasks whose lastStatus is PROVISIONING, PENDING or ACTIVATING. */
  pendingTasksCount: number;
  /** Tasks that are not STOPPED yet, in any state: what DeleteCluster waits for. */
  activeTasksCount: number;
  activeServicesCount: number;
  drainingServicesCount: number;
  runningEC2TasksCount: number;
  runningFargateTasksCount: number;
  pendingEC2TasksCount: number;
  pendingFargateTasksCount: number;
  activeEC2ServiceCount: number;
  activeFargateServiceCount: number;
  drainingEC2ServiceCount: number;
  drainingFargateServiceCount: number;
}

const PENDING = ['PROVISIONING', 'PENDING', 'ACTIVATING'];

export async function clusterUsage(tx: Tx, clusterArn: string): Promise<ClusterUsage> {
  const instances = await tx
    .selectFrom('container_instances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cluster_arn', '=', clusterArn)
    .where('status', 'in', ['ACTIVE', 'DRAINING'])
    .executeTakeFirstOrThrow();
  const tasks = await tx
    .selectFrom('tasks')
    .select(['last_status', 'launch_type'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cluster_arn', '=', clusterArn)
    .where('last_status', '<>', 'STOPPED')
    .groupBy(['last_status', 'launch_type'])
    .execute();
  const services = await tx
    .selectFrom('services')
    .select(['status', 'launch_type'])
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cluster_arn', '=', clusterArn)
    .where('status', 'in', ['ACTIVE', 'DRAINING'])
    .groupBy(['status', 'launch_type'])
    .execute();
  const serviceCount = (status: string, launchType?: string) =>
    services.filter((s) => s.status === status && (launchType === undefined || s.launch_type === launchType)).reduce((n, s) => n + Number(s.n), 0);
  const count = (statuses: string[], launchType?: string) =>
    tasks.filter((t) => statuses.includes(t.last_status) && (launchType === undefined || t.launch_type === launchType)).reduce((s, t) => s + Number(t.n), 0);
  return {
    registeredContainerInstancesCount: Number(instances.n),
    runningTasksCount: count(['RUNNING']),
    pendingTasksCount: count(PENDING),
    activeTasksCount: tasks.reduce((s, t) => s + Number(t.n), 0),
    activeServicesCount: serviceCount('ACTIVE'),
    drainingServicesCount: serviceCount('DRAINING'),
    runningEC2TasksCount: count(['RUNNING'], 'EC2'),
    runningFargateTasksCount: count(['RUNNING'], 'FARGATE'),
    pendingEC2TasksCount: count(PENDING, 'EC2'),
    pendingFargateTasksCount: count(PENDING, 'FARGATE'),
    activeEC2ServiceCount: serviceCount('ACTIVE', 'EC2'),
    activeFargateServiceCount: serviceCount('ACTIVE', 'FARGATE'),
    drainingEC2ServiceCount: serviceCount('DRAINING', 'EC2'),
    drainingFargateServiceCount: serviceCount('DRAINING', 'FARGATE'),
  };
}
