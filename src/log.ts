import { pino, type Logger } from 'pino';

// Log field names are constants so that every line names the same thing the same way.
export const LOG = {
  requestId: 'requestId',
  operation: 'operation',
  errorCode: 'errorCode',
  status: 'status',
  dataDir: 'dataDir',
  endpoint: 'endpoint',
  migration: 'migration',
  path: 'path',
  repository: 'repository',
  digest: 'digest',
} as const;

export function createLogger(level = process.env.BERTH_LOG_LEVEL ?? 'info'): Logger {
  // Logs go to stderr: stdout is for what a command prints for its user.
  return pino({ level, base: undefined }, pino.destination(2));
}
