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
};
