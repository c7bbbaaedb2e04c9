import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListenerRules } from '../../../src/control/elb/listener-rules.js';
import { Listeners } from '../../../src/control/elb/listeners.js';
import { LoadBalancers } from '../../../src/control/elb/load-balancers.js';
import { defaultVpcId } from '../../../src/control/elb/records.js';
import { TargetGroups } from '../../../src/control/elb/target-groups.js';
import { SqliteStore } from '../../../src/store/sqlite.js';

// ELBv2's control core against a real SQLite store in a temp dir, with a
// port probe the test steers and a counter of data-plane notifications.

export const scope = { accountId: '000000000000', region: 'us-east-1' };
export const VPC = defaultVpcId(scope);
export const NOW = 1_700_000_000_000;

export interface ElbCore {
  dir: string;
  store: SqliteStore;
  lbs: LoadBalancers;
  listeners: Listeners;
  rules: ListenerRules;
  targetGroups: TargetGroups;
  certificatesDir: string;
  /** How many times the data plane was told to re-read the store. */
  changes: () => number;
  /** Ports the probe reports as taken by another process; every probe call is recorded. */
  busyPorts: Set<number>;
  probes: { address: string; port: number }[];
  close(): Promise<void>;
}

export async function openElb(): Promise<ElbCore> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-elb-'));
  const store = await SqliteStore.open(join(dir, 'berth.sqlite'));
  const certificatesDir = join(dir, 'certificates');
  mkdirSync(certificatesDir);
  let changes = 0;
  const changed = () => void changes++;
  const busyPorts = new Set<number>();
  const probes: { address: string; port: number }[] = [];
  const probePort = async (address: string, port: number) => {
    probes.push({ address, port });
    return busyPorts.has(port) ? 'in-use' : 'free';
  };
  return {
    dir,
    store,
    lbs: new LoadBalancers(store, { address: '127.0.0.1', changed }),
    listeners: new Listeners(store, { changed, probePort, certificatesDir }),
    rules: new ListenerRules(store, { changed }),
    targetGroups: new TargetGroups(store, { changed }),
    certificatesDir,
    changes: () => changes,
    busyPorts,
    probes,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An ALB with two subnets (or an NLB with one). */
export async function createLb(core: ElbCore, name: string, type: 'application' | 'network' = 'application', s = scope): Promise<string> {
  const lb = await core.lbs.create(s, { Name: name, Type: type, Subnets: type === 'application' ? ['subnet-a1', 'subnet-b2'] : ['subnet-a1'] }, NOW);
  return lb.LoadBalancerArn!;
}

export async function createTg(core: ElbCore, name: string, protocol: 'HTTP' | 'HTTPS' | 'TCP' | 'UDP' | 'TLS' | 'TCP_UDP' = 'HTTP', vpc = VPC): Promise<string> {
  const tg = await core.targetGroups.create(scope, { Name: name, Protocol: protocol, Port: 8080, VpcId: vpc, TargetType: 'ip' });
  return tg.TargetGroupArn!;
}

export const fixed = (body = 'hello', status = '200'): Action[] => [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: status, ContentType: 'text/plain', MessageBody: body } }];
export const forward = (tg: string): Action[] => [{ Type: 'forward', TargetGroupArn: tg }];

/** Writes `<id>.crt` and `<id>.key` (contents are not parsed by the control plane) and returns the certificate's ARN. */
export function certificate(core: ElbCore, id: string, region = scope.region): string {
  writeFileSync(join(core.certificatesDir, `${id}.crt`), '-----BEGIN CERTIFICATE-----\n');
  writeFileSync(join(core.certificatesDir, `${id}.key`), '-----BEGIN PRIVATE KEY-----\n');
  return `arn:aws:acm:${region}:${scope.accountId}:certificate/${id}`;
}
