import type { Attribute, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';

// The container-instance attributes a task definition needs, as ECS derives
// them (`requiresAttributes`): placement only considers instances that have
// every one.

const cap = (name: string): Attribute => ({ name: `com.amazonaws.ecs.capability.${name}` });
const ecsCap = (name: string): Attribute => ({ name: `ecs.capability.${name}` });

export function requiredAttributes(td: RegisterTaskDefinitionCommandInput): Attribute[] {
  const out = new Map<string, Attribute>();
  const add = (a: Attribute) => out.set(a.name!, a);
  const containers = td.containerDefinitions ?? [];
  if (td.taskRoleArn) add(cap('task-iam-role'));
  if (td.networkMode === 'awsvpc') add(ecsCap('task-eni'));
  for (const c of containers) {
    const driver = c.logConfiguration?.logDriver;
    if (driver) {
      add(cap(`logging-driver.${driver}`));
      add(cap('docker-remote-api.1.19'));
      if (driver === 'awslogs' && td.executionRoleArn) add(ecsCap('execution-role-awslogs'));
    }
    if (c.healthCheck) add(ecsCap('container-health-check'));
    if (c.dependsOn?.length) add(ecsCap('container-ordering'));
    if (c.secrets?.length) add(ecsCap('secrets.asm.environment-variables'));
    if (c.environmentFiles?.length) add(ecsCap('env-files.s3'));
    if (c.dockerLabels && Object.keys(c.dockerLabels).length) add(cap('docker-remote-api.1.18'));
    if (c.ulimits?.length || c.privileged || c.readonlyRootFilesystem || c.dockerSecurityOptions?.length) add(cap('docker-remote-api.1.17'));
    if (c.linuxParameters?.initProcessEnabled) add(cap('docker-remote-api.1.25'));
    if (c.systemControls?.length) add(cap('docker-remote-api.1.38'));
    if (c.image?.includes('.dkr.ecr.') && td.executionRoleArn) add(ecsCap('execution-role-ecr-pull'));
  }
  if (td.pidMode) add(cap('docker-remote-api.1.25'));
  if (td.ipcMode) add(cap('docker-remote-api.1.25'));
  return [...out.values()];
}
