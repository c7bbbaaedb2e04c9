import { type Kysely, type Migration } from 'kysely';

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
};
