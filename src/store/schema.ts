// The tables, as Kysely sees them. Entity bodies are kept as JSON text in
// `body`; the columns beside it are the ones queries filter, sort or race on.

export interface ClusterRow {
  arn: string;
  account_id: string;
  region: string;
  name: string;
  status: string;
  /** Optimistic concurrency: bumped by every update. */
  version: number;
  created_at: number;
  body: string;
}

export interface TaskDefinitionRow {
  arn: string;
  account_id: string;
  region: string;
  family: string;
  revision: number;
  status: string;
  registered_at: number;
  body: string;
}

export interface TaskDefinitionFamilyRow {
  account_id: string;
  region: string;
  family: string;
  last_revision: number;
  /** Revisions of the family that are ACTIVE. */
  active_count: number;
}

export interface TagRow {
  resource_arn: string;
  key: string;
  value: string;
  position: number;
}

export interface AccountSettingRow {
  account_id: string;
  region: string;
  /** '' for the account's default. */
  principal_arn: string;
  name: string;
  value: string;
}

export interface ContainerInstanceRow {
  arn: string;
  account_id: string;
  region: string;
  cluster_arn: string;
  ec2_instance_id: string;
  /** ACTIVE, DRAINING, INACTIVE (REGISTERING and friends are never stored: registration is one transaction). */
  status: string;
  /** 1 while the agent's connection is open, 0 otherwise. */
  agent_connected: number;
  last_heartbeat_at: number | null;
  /** Optimistic concurrency: bumped by every change of resources, status or attributes. */
  version: number;
  registered_at: number;
  body: string;
}

export interface TaskRow {
  arn: string;
  account_id: string;
  region: string;
  cluster_arn: string;
  container_instance_arn: string | null;
  family: string;
  task_definition_arn: string;
  started_by: string | null;
  group_name: string;
  service_name: string | null;
  desired_status: string;
  last_status: string;
  launch_type: string;
  /** awsvpc only: the task's own loopback address, unique among tasks that are not STOPPED. */
  private_ipv4_address: string | null;
  /** awsvpc only: the ElasticNetworkInterface attachment's id, for SubmitAttachmentStateChanges. */
  attachment_id: string | null;
  created_at: number;
  /** Optimistic concurrency, and the task's `version` on the wire. */
  version: number;
  body: string;
}

export interface ServiceRow {
  arn: string;
  account_id: string;
  region: string;
  cluster_arn: string;
  name: string;
  /** ACTIVE, DRAINING (deleted, tasks still stopping), INACTIVE. */
  status: string;
  scheduling_strategy: string;
  launch_type: string;
  /** Optimistic concurrency: every API change and every committed reconcile plan bumps it. */
  version: number;
  created_at: number;
  body: string;
}

export interface ServiceDeploymentRow {
  /** The service deployment's ARN (`service-deployment/<cluster>/<service>/<id>`). */
  arn: string;
  /** The deployment's id on the wire (`ecs-svc/<19 digits>`): tasks carry it as startedBy. */
  id: string;
  service_arn: string;
  cluster_arn: string;
  /** PRIMARY, ACTIVE, INACTIVE. */
  status: string;
  /** IN_PROGRESS, COMPLETED, FAILED. */
  rollout_state: string;
  created_at: number;
  body: string;
}

export interface ServiceRevisionRow {
  arn: string;
  service_arn: string;
  created_at: number;
  body: string;
}

export interface ServiceEventRow {
  id: string;
  service_arn: string;
  /** Grows with every event of the service: newest first is `seq` descending. */
  seq: number;
  created_at: number;
  message: string;
}

export interface EcrRepositoryRow {
  arn: string;
  account_id: string;
  region: string;
  name: string;
  created_at: number;
  version: number;
  body: string;
}

export interface EcrImageRow {
  repository_arn: string;
  digest: string;
  media_type: string;
  artifact_media_type: string | null;
  subject: string | null;
  size: number;
  pushed_at: number;
  last_pull_at: number | null;
  refs: string;
}

export interface EcrTagRow {
  repository_arn: string;
  tag: string;
  digest: string;
  updated_at: number;
}

export interface EcrScanRow {
  repository_arn: string;
  digest: string;
  status: string;
  updated_at: number;
  body: string;
}

export interface EcrLifecyclePreviewRow {
  repository_arn: string;
  status: string;
  body: string;
}

export interface EcrRegistryRow {
  account_id: string;
  region: string;
  body: string;
}

export interface VulnerabilityRow {
  id: string;
  ecosystem: string;
  package: string;
  modified: number;
  body: string;
}

export interface VulnerabilityImportRow {
  imported_at: number;
  source: string;
  advisories: number;
}

export interface ElbLoadBalancerRow {
  arn: string;
  account_id: string;
  region: string;
  name: string;
  created_at: number;
  body: string;
}

export interface ElbTargetGroupRow {
  arn: string;
  account_id: string;
  region: string;
  name: string;
  body: string;
}

export interface ElbListenerRow {
  arn: string;
  load_balancer_arn: string;
  port: number;
  body: string;
}

export interface ElbRuleRow {
  arn: string;
  listener_arn: string;
  priority: number | null;
  body: string;
}

export interface ElbTargetRow {
  target_group_arn: string;
  target_id: string;
  port: number;
  address: string;
  availability_zone: string | null;
  state: string;
  reason: string | null;
  description: string | null;
  registered_at: number;
  changed_at: number;
  drain_until: number | null;
  task_arn: string | null;
}

export interface ElbRequestCountRow {
  target_group_arn: string;
  load_balancer_arn: string;
  minute: number;
  requests: number;
}

export interface CapacityProviderRow {
  arn: string;
  account_id: string;
  region: string;
  name: string;
  /** ACTIVE or INACTIVE (deleted; kept while its name is not reused). */
  status: string;
  /** The Auto Scaling group's ARN (or name) as given: one ACTIVE provider per group. */
  auto_scaling_group_arn: string;
  /** The cluster the provider is associated with, if any (one at most). */
  cluster_arn: string | null;
  /** Optimistic concurrency: bumped by every change. */
  version: number;
  created_at: number;
  body: string;
}

export interface CapacityProviderReservationRow {
  capacity_provider_arn: string;
  cluster_name: string;
  /** The minute (ms since the epoch, a multiple of 60 000). */
  minute: number;
  samples: number;
  sum: number;
  minimum: number;
  maximum: number;
}

export interface Database {
  clusters: ClusterRow;
  task_definitions: TaskDefinitionRow;
  task_definition_families: TaskDefinitionFamilyRow;
  tags: TagRow;
  account_settings: AccountSettingRow;
  container_instances: ContainerInstanceRow;
  tasks: TaskRow;
  services: ServiceRow;
  service_deployments: ServiceDeploymentRow;
  service_revisions: ServiceRevisionRow;
  service_events: ServiceEventRow;
  ecr_repositories: EcrRepositoryRow;
  ecr_images: EcrImageRow;
  ecr_tags: EcrTagRow;
  ecr_scans: EcrScanRow;
  ecr_lifecycle_previews: EcrLifecyclePreviewRow;
  ecr_registries: EcrRegistryRow;
  vulnerabilities: VulnerabilityRow;
  vulnerability_imports: VulnerabilityImportRow;
  elb_load_balancers: ElbLoadBalancerRow;
  elb_target_groups: ElbTargetGroupRow;
  elb_listeners: ElbListenerRow;
  elb_rules: ElbRuleRow;
  elb_targets: ElbTargetRow;
  elb_request_counts: ElbRequestCountRow;
  capacity_providers: CapacityProviderRow;
  capacity_provider_reservations: CapacityProviderReservationRow;
}
