// ARNs in AWS's exact formats. The partition is always `aws`.

export interface Scope {
  accountId: string;
  region: string;
}

export const clusterArn = (s: Scope, name: string) => `arn:aws:ecs:${s.region}:${s.accountId}:cluster/${name}`;

export const taskDefinitionArn = (s: Scope, family: string, revision: number) =>
  `arn:aws:ecs:${s.region}:${s.accountId}:task-definition/${family}:${revision}`;

/** Long ARN format (the default since 2018): the cluster's name sits between the type and the id. */
export const containerInstanceArn = (s: Scope, clusterName: string, id: string) =>
  `arn:aws:ecs:${s.region}:${s.accountId}:container-instance/${clusterName}/${id}`;

export const taskArn = (s: Scope, clusterName: string, id: string) => `arn:aws:ecs:${s.region}:${s.accountId}:task/${clusterName}/${id}`;

export const containerArn = (s: Scope, clusterName: string, taskId: string, id: string) =>
  `arn:aws:ecs:${s.region}:${s.accountId}:container/${clusterName}/${taskId}/${id}`;

export const serviceArn = (s: Scope, clusterName: string, name: string) => `arn:aws:ecs:${s.region}:${s.accountId}:service/${clusterName}/${name}`;

export const serviceDeploymentArn = (s: Scope, clusterName: string, serviceName: string, id: string) =>
  `arn:aws:ecs:${s.region}:${s.accountId}:service-deployment/${clusterName}/${serviceName}/${id}`;

export const serviceRevisionArn = (s: Scope, clusterName: string, serviceName: string, id: string) =>
  `arn:aws:ecs:${s.region}:${s.accountId}:service-revision/${clusterName}/${serviceName}/${id}`;

export const attachmentArn = (s: Scope, id: string) => `arn:aws:ecs:${s.region}:${s.accountId}:attachment/${id}`;

export const rootPrincipalArn = (accountId: string) => `arn:aws:iam::${accountId}:root`;

export interface ParsedArn {
  service: string;
  region: string;
  accountId: string;
  resourceType: string;
  resource: string;
}

/** Splits `arn:aws:ecs:us-east-1:123:cluster/name` into its parts; undefined when it is not an ARN. */
export function parseArn(arn: string): ParsedArn | undefined {
  const m = /^arn:aws[a-z-]*:([a-z0-9-]+):([a-z0-9-]*):(\d*):([A-Za-z-]+)[/:](.+)$/.exec(arn);
  if (!m) return undefined;
  return { service: m[1]!, region: m[2]!, accountId: m[3]!, resourceType: m[4]!, resource: m[5]! };
}
