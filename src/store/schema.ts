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

export interface Database {
  clusters: ClusterRow;
  task_definitions: TaskDefinitionRow;
  task_definition_families: TaskDefinitionFamilyRow;
  tags: TagRow;
  account_settings: AccountSettingRow;
}
