import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Access keys berth accepts. The root key lives in the data dir (mode 0600),
// created on first start, or taken from BERTH_ROOT_ACCESS_KEY_ID /
// BERTH_ROOT_SECRET_ACCESS_KEY when a pipeline needs fixed credentials.

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
}

export const ROOT_KEY_FILE = 'root-access-key.json';

const KEY_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function newAccessKeyId(): string {
  const bytes = randomBytes(16);
  return 'AKIA' + Array.from(bytes, (b) => KEY_ID_ALPHABET[b % 32]).join('');
}

function newSecret(): string {
  return randomBytes(30).toString('base64').replace(/[+/]/g, (c) => (c === '+' ? 'x' : 'Y')).slice(0, 40);
}

export function rootKeyPath(dataDir: string): string {
  return join(dataDir, ROOT_KEY_FILE);
}

/** Reads the root key, creating it on first start. */
export function ensureRootKey(dataDir: string, accountId: string, env: NodeJS.ProcessEnv = process.env): AccessKey {
  const file = rootKeyPath(dataDir);
  const fixedId = env.BERTH_ROOT_ACCESS_KEY_ID;
  const fixedSecret = env.BERTH_ROOT_SECRET_ACCESS_KEY;
  if (existsSync(file)) {
    const key = JSON.parse(readFileSync(file, 'utf8')) as AccessKey;
    if (key.accountId !== accountId) {
      key.accountId = accountId;
      writeKey(file, key);
    }
    return key;
  }
  const key: AccessKey = {
    accessKeyId: fixedId || newAccessKeyId(),
    secretAccessKey: fixedSecret || newSecret(),
    accountId,
  };
  writeKey(file, key);
  return key;
}

export function readRootKey(dataDir: string): AccessKey | undefined {
  const file = rootKeyPath(dataDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AccessKey) : undefined;
}

function writeKey(file: string, key: AccessKey) {
  writeFileSync(file, JSON.stringify(key, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
}

export class KeyRing {
  #keys = new Map<string, AccessKey>();

  add(key: AccessKey): void {
    this.#keys.set(key.accessKeyId, key);
  }

  lookup = (accessKeyId: string): AccessKey | undefined => this.#keys.get(accessKeyId);
}
