import type { Tx } from '../store/store.js';

// What runs in a cluster: the counts DescribeClusters reports and DeleteCluster
// refuses on. Container instances, tasks and services have no tables yet, so
// every count is truly zero; each issue that adds one of them adds its count here.

export interface ClusterUsage {
  registeredContainerInstancesCount: number;
  runningTasksCount: number;
  pendingTasksCount: number;
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

export async function clusterUsage(_tx: Tx, _clusterArn: string): Promise<ClusterUsage> {
  return {
    registeredContainerInstancesCount: 0,
    runningTasksCount: 0,
    pendingTasksCount: 0,
    activeServicesCount: 0,
    drainingServicesCount: 0,
    runningEC2TasksCount: 0,
    runningFargateTasksCount: 0,
    pendingEC2TasksCount: 0,
    pendingFargateTasksCount: 0,
    activeEC2ServiceCount: 0,
    activeFargateServiceCount: 0,
    drainingEC2ServiceCount: 0,
    drainingFargateServiceCount: 0,
  };
}
