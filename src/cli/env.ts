import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENDPOINT_FILE } from '../berth.js';
import { readRootKey } from '../gateway/credentials.js';

export interface EnvOptions {
  dataDir: string;
  host: string;
  port: string;
  region: string;
}

/** The shell exports that point the AWS CLI and SDKs at berth. */
export function env(opts: EnvOptions): void {
  const dataDir = resolve(opts.dataDir);
  const key = readRootKey(dataDir);
  if (!key) throw new Error(`No berth credentials in ${dataDir}. Start berth once with \`berth up --data-dir ${dataDir}\`; it creates them.`);
  const file = join(dataDir, ENDPOINT_FILE);
  const recorded = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { endpoint: string; region: string }) : undefined;
  const endpoint = recorded?.endpoint ?? `http://${opts.host}:${opts.port}`;
  const region = recorded?.region ?? opts.region;
  const lines = [
    `export AWS_ENDPOINT_URL=${endpoint}`,
    `export AWS_ACCESS_KEY_ID=${key.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${key.secretAccessKey}`,
    `export AWS_REGION=${region}`,
    `export AWS_DEFAULT_REGION=${region}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
