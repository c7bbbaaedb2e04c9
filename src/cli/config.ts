import { homedir } from 'node:os';
import { join } from 'node:path';

// Defaults for every command, overridable by BERTH_* environment variables,
// which command-line flags override in turn.

export const defaults = {
  host: process.env.BERTH_HOST ?? '127.0.0.1',
  port: process.env.BERTH_PORT ?? '4600',
  dataDir: process.env.BERTH_DATA_DIR ?? join(homedir(), '.berth'),
  region: process.env.BERTH_REGION ?? 'us-east-1',
  accountId: process.env.BERTH_ACCOUNT_ID ?? '000000000000',
  agentDataDir: process.env.BERTH_AGENT_DATA_DIR ?? join(homedir(), '.berth-agent'),
  imagePullBehavior: process.env.ECS_IMAGE_PULL_BEHAVIOR ?? 'default',
  /** Seconds; ECS's default wait is 3 hours. */
  cleanupDelay: process.env.BERTH_CLEANUP_DELAY ?? String(3 * 60 * 60),
};
