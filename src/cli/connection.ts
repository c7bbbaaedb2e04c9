import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENDPOINT_FILE } from '../berth.js';
import { readRootKey } from '../gateway/credentials.js';

// Where a berth is and how to sign for it, read from its data dir: the
// endpoint it recorded when it started (else host:port) and its root key.

export interface ConnectionOptions {
  dataDir: string;
  host: string;
  port: string;
  region: string;
}

export interface Connection {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export function readConnection(opts: ConnectionOptions): Connection {
  const dataDir = resolve(opts.dataDir);
  const key = readRootKey(dataDir);
  if (!key) throw new Error(`No berth credentials in ${dataDir}. Start berth once with \`berth up --data-dir ${dataDir}\`; it creates them.`);
  const file = join(dataDir, ENDPOINT_FILE);
  const recorded = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { endpoint: string; region: string }) : undefined;
  return {
    endpoint: recorded?.endpoint ?? `http://${opts.host}:${opts.port}`,
    region: recorded?.region ?? opts.region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
  };
}
