import { sql, type Kysely, type Migration } from 'kysely';

// Versioned migrations, applied in name order at start. Never edit one that
// has shipped: add the next.

export const migrations: Record<string, Migration> = {
  '0001-ecs-clusters-task-definitions': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('clusters')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('clusters_scope').on('clusters').columns(['account_id', 'region', 'name']).unique().execute();

      await db.schema
        .createTable('task_definitions')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('task_definitions_family')
        .on('task_definitions')
        .columns(['account_id', 'region', 'family', 'revision'])
        .unique()
        .execute();

      await db.schema
        .createTable('task_definition_families')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('last_revision', 'integer', (c) => c.notNull())
        .addColumn('active_count', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('task_definition_families_pk', ['account_id', 'region', 'family'])
        .execute();

      await db.schema
        .createTable('tags')
        .addColumn('resource_arn', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('tags_pk', ['resource_arn', 'key'])
        .execute();

      await db.schema
        .createTable('account_settings')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('principal_arn', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('account_settings_pk', ['account_id', 'region', 'principal_arn', 'name'])
        .execute();

    },
  },
  '0002-ecs-container-instances-tasks': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('container_instances')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('cluster_arn', 'text', (c) => c.notNull())
        .addColumn('ec2_instance_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('agent_connected', 'integer', (c) => c.notNull())
        .addColumn('last_heartbeat_at', 'bigint')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      // ListContainerInstances (by cluster and status, in ARN order) and the cluster's counts.
      await db.schema.createIndex('container_instances_cluster').on('container_instances').columns(['cluster_arn', 'status', 'arn']).execute();

      await db.schema
        .createTable('tasks')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('cluster_arn', 'text', (c) => c.notNull())
        .addColumn('container_instance_arn', 'text')
        .addColumn('family', 'text', (c) => c.notNull())
        .addColumn('task_definition_arn', 'text', (c) => c.notNull())
        .addColumn('started_by', 'text')
        .addColumn('group_name', 'text', (c) => c.notNull())
        .addColumn('service_name', 'text')
        .addColumn('desired_status', 'text', (c) => c.notNull())
        .addColumn('last_status', 'text', (c) => c.notNull())
        .addColumn('launch_type', 'text', (c) => c.notNull())
        .addColumn('private_ipv4_address', 'text')
        .addColumn('attachment_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      // ListTasks: every filter is an equality on the cluster's tasks of one desired status, in ARN order.
      await db.schema.createIndex('tasks_cluster_desired').on('tasks').columns(['cluster_arn', 'desired_status', 'arn']).execute();
      await db.schema.createIndex('tasks_instance').on('tasks').columns(['container_instance_arn', 'last_status']).execute();
      await db.schema.createIndex('tasks_family').on('tasks').columns(['cluster_arn', 'family', 'desired_status']).execute();
      await db.schema.createIndex('tasks_started_by').on('tasks').columns(['cluster_arn', 'started_by']).execute();
      await db.schema.createIndex('tasks_service').on('tasks').columns(['cluster_arn', 'service_name', 'desired_status']).execute();
      // The cluster's running/pending counts.
      await db.schema.createIndex('tasks_cluster_last').on('tasks').columns(['cluster_arn', 'last_status', 'launch_type']).execute();
      // An awsvpc address belongs to one live task at a time, whatever the race.
      await db.schema
        .createIndex('tasks_live_address')
        .on('tasks')
        .column('private_ipv4_address')
        .unique()
        .where(sql.ref('last_status'), '<>', 'STOPPED')
        .execute();
      await db.schema.createIndex('tasks_attachment').on('tasks').column('attachment_id').execute();
    },
  },
  '0003-ecs-services': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('services')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('cluster_arn', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('scheduling_strategy', 'text', (c) => c.notNull())
        .addColumn('launch_type', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      // ListServices (by cluster, in ARN order) and the cluster's counts; the reconciler's scan by status.
      await db.schema.createIndex('services_cluster').on('services').columns(['cluster_arn', 'status', 'arn']).execute();
      await db.schema.createIndex('services_status').on('services').columns(['status', 'arn']).execute();

      await db.schema
        .createTable('service_deployments')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('service_arn', 'text', (c) => c.notNull())
        .addColumn('cluster_arn', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('rollout_state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('service_deployments_service').on('service_deployments').columns(['service_arn', 'status', 'created_at']).execute();
      await db.schema.createIndex('service_deployments_id').on('service_deployments').column('id').unique().execute();

      await db.schema
        .createTable('service_revisions')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('service_arn', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('service_revisions_service').on('service_revisions').columns(['service_arn', 'created_at']).execute();

      await db.schema
        .createTable('service_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('service_arn', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('service_events_service').on('service_events').columns(['service_arn', 'seq']).unique().execute();
    },
  },
  '0004-ecs-services-scheduler-indexes': {
    async up(db: Kysely<any>) {
      // The scheduler's pass reads a cluster's deployments that are not INACTIVE at once.
      await db.schema.createIndex('service_deployments_cluster').on('service_deployments').columns(['cluster_arn', 'status']).execute();
      // Placement's instance snapshot (live tasks per instance by status and group), read in every launch the
      // scheduler commits: covered by one index instead of a table read per task.
      await db.schema.createIndex('tasks_instance_groups').on('tasks').columns(['container_instance_arn', 'last_status', 'desired_status', 'group_name']).execute();
    },
  },

  '0005-registry-ecr': {
    async up(db: Kysely<any>) {
      // ECR's view of the registry. Blob bytes and the per-repository links to
      // them live in the blob store (src/registry); these tables hold what
      // the APIs list, filter and race on.
      await db.schema
        .createTable('ecr_repositories')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ecr_repositories_scope').on('ecr_repositories').columns(['account_id', 'region', 'name']).unique().execute();

      await db.schema
        .createTable('ecr_images')
        .addColumn('repository_arn', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('artifact_media_type', 'text')
        /** The digest of the manifest this one refers to (OCI `subject`), for the referrers API. */
        .addColumn('subject', 'text')
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('pushed_at', 'bigint', (c) => c.notNull())
        .addColumn('last_pull_at', 'bigint')
        /** JSON: the blob and manifest digests the manifest references (garbage collection marks these). */
        .addColumn('refs', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ecr_images_pk', ['repository_arn', 'digest'])
        .execute();
      await db.schema.createIndex('ecr_images_pushed').on('ecr_images').columns(['repository_arn', 'pushed_at']).execute();
      await db.schema.createIndex('ecr_images_subject').on('ecr_images').columns(['repository_arn', 'subject']).execute();

      await db.schema
        .createTable('ecr_tags')
        .addColumn('repository_arn', 'text', (c) => c.notNull())
        .addColumn('tag', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('ecr_tags_pk', ['repository_arn', 'tag'])
        .execute();
      await db.schema.createIndex('ecr_tags_digest').on('ecr_tags').columns(['repository_arn', 'digest']).execute();

      await db.schema
        .createTable('ecr_scans')
        .addColumn('repository_arn', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        /** JSON: the status description and the findings, as DescribeImageScanFindings returns them. */
        .addColumn('body', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ecr_scans_pk', ['repository_arn', 'digest'])
        .execute();

      await db.schema
        .createTable('ecr_lifecycle_previews')
        .addColumn('repository_arn', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('ecr_registries')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('ecr_registries_pk', ['account_id', 'region'])
        .execute();

      // The vulnerability database the operator imports (OSV JSON): one row
      // per affected package of an advisory, the whole advisory in `body`.
      await db.schema
        .createTable('vulnerabilities')
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('ecosystem', 'text', (c) => c.notNull())
        .addColumn('package', 'text', (c) => c.notNull())
        .addColumn('modified', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('vulnerabilities_pk', ['id', 'ecosystem', 'package'])
        .execute();
      await db.schema.createIndex('vulnerabilities_package').on('vulnerabilities').columns(['ecosystem', 'package']).execute();
      await db.schema
        .createTable('vulnerability_imports')
        .addColumn('imported_at', 'bigint', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('advisories', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0006-elbv2': {
    async up(db: Kysely<any>) {
      // Elastic Load Balancing v2: load balancers, target groups, listeners,
      // rules and the registered targets with their health. Each row keeps its
      // AWS description in `body` (JSON); the columns are what is looked up.
      await db.schema
        .createTable('elb_load_balancers')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addUniqueConstraint('elb_load_balancers_name', ['account_id', 'region', 'name'])
        .execute();
      await db.schema
        .createTable('elb_target_groups')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addUniqueConstraint('elb_target_groups_name', ['account_id', 'region', 'name'])
        .execute();
      await db.schema
        .createTable('elb_listeners')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('load_balancer_arn', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addUniqueConstraint('elb_listeners_port', ['load_balancer_arn', 'port'])
        .execute();
      await db.schema
        .createTable('elb_rules')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('listener_arn', 'text', (c) => c.notNull())
        /** The rule's priority; null for the listener's default rule. */
        .addColumn('priority', 'integer')
        .addColumn('body', 'text', (c) => c.notNull())
        .addUniqueConstraint('elb_rules_priority', ['listener_arn', 'priority'])
        .execute();
      await db.schema.createIndex('elb_rules_listener').on('elb_rules').columns(['listener_arn']).execute();
      await db.schema
        .createTable('elb_targets')
        .addColumn('target_group_arn', 'text', (c) => c.notNull())
        .addColumn('target_id', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        /** Where the data plane connects: the instance's or the task's address. */
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('availability_zone', 'text')
        /** initial | healthy | unhealthy | unused | draining | unavailable */
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('description', 'text')
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('changed_at', 'bigint', (c) => c.notNull())
        /** While draining: when the deregistration delay ends. */
        .addColumn('drain_until', 'bigint')
        /** The ECS task that registered it (service integration), if any. */
        .addColumn('task_arn', 'text')
        .addPrimaryKeyConstraint('elb_targets_pk', ['target_group_arn', 'target_id', 'port'])
        .execute();
      await db.schema.createIndex('elb_targets_task').on('elb_targets').columns(['task_arn']).execute();
      // Requests each target group received through each load balancer, a row a minute (ALBRequestCountPerTarget).
      await db.schema
        .createTable('elb_request_counts')
        .addColumn('target_group_arn', 'text', (c) => c.notNull())
        .addColumn('load_balancer_arn', 'text', (c) => c.notNull())
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('elb_request_counts_pk', ['target_group_arn', 'load_balancer_arn', 'minute'])
        .execute();
    },
  },
  '0007-ecs-capacity-providers': {
    async up(db: Kysely<any>) {
      // EC2 (Auto Scaling group) capacity providers; FARGATE and FARGATE_SPOT
      // are every account's and are not stored. `cluster_arn` is the one
      // cluster the provider is associated with (null when none); `body`
      // holds autoScalingGroupProvider and the last update status.
      await db.schema
        .createTable('capacity_providers')
        .addColumn('arn', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('region', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('auto_scaling_group_arn', 'text', (c) => c.notNull())
        .addColumn('cluster_arn', 'text')
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('capacity_providers_scope').on('capacity_providers').columns(['account_id', 'region', 'name']).unique().execute();
      // One Auto Scaling group backs one ACTIVE provider, whatever the race.
      await db.schema
        .createIndex('capacity_providers_asg')
        .on('capacity_providers')
        .columns(['account_id', 'region', 'auto_scaling_group_arn'])
        .unique()
        .where(sql.ref('status'), '=', 'ACTIVE')
        .execute();
      await db.schema.createIndex('capacity_providers_cluster').on('capacity_providers').columns(['cluster_arn']).execute();
      // Managed scaling's CapacityProviderReservation, a statistic set a minute per provider (AWS/ECS/ManagedScaling).
      await db.schema
        .createTable('capacity_provider_reservations')
        .addColumn('capacity_provider_arn', 'text', (c) => c.notNull())
        .addColumn('cluster_name', 'text', (c) => c.notNull())
        .addColumn('minute', 'bigint', (c) => c.notNull())
        .addColumn('samples', 'integer', (c) => c.notNull())
        .addColumn('sum', 'double precision', (c) => c.notNull())
        .addColumn('minimum', 'double precision', (c) => c.notNull())
        .addColumn('maximum', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('capacity_provider_reservations_pk', ['capacity_provider_arn', 'minute'])
        .execute();
      await db.schema.createIndex('capacity_provider_reservations_minute').on('capacity_provider_reservations').columns(['minute']).execute();
      // Waiting tasks (PROVISIONING, on no instance yet), which managed scaling counts each pass.
      await db.schema.createIndex('tasks_cluster_waiting').on('tasks').columns(['cluster_arn', 'last_status', 'container_instance_arn']).execute();
    },
  },
};
