import { readConnection, type ConnectionOptions } from './connection.js';

/** The shell exports that point the AWS CLI and SDKs at berth. */
export function env(opts: ConnectionOptions): void {
  const c = readConnection(opts);
  const lines = [
    `export AWS_ENDPOINT_URL=${c.endpoint}`,
    `export AWS_ACCESS_KEY_ID=${c.credentials.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${c.credentials.secretAccessKey}`,
    `export AWS_REGION=${c.region}`,
    `export AWS_DEFAULT_REGION=${c.region}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
