import { ECRClient, CreateRepositoryCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBerthProcess, startDistribution, type ServerProcess } from './lib/servers.js';

// bench/registry: push and pull of a large image of random layers with
// skopeo, against berth and against CNCF distribution (Debian's
// docker-registry) started side by side in the same run. MB/s each, and the
// ratio. Every round builds new random layers and pushes them to a fresh
// repository, so skopeo's blob-info cache (per user, and under
// /var/lib/containers for root) can never turn a push into a mount.

export const description = 'skopeo push and pull of a 500 MB image of random layers: berth vs CNCF distribution (docker-registry), MB/s and ratio';

const MB = 1024 * 1024;

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** An OCI image layout of `layers` random blobs of `layerMb` each. */
function buildLayout(dir: string, layers: number, layerMb: number): number {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (data: Buffer) => {
    const digest = sha256(data);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), data);
    return { digest, size: data.length };
  };
  const layerDescs = [];
  let total = 0;
  for (let i = 0; i < layers; i++) {
    const d = put(randomBytes(layerMb * MB));
    total += d.size;
    layerDescs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...d });
  }
  const config = put(
    Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layerDescs.map((l) => l.digest) }, config: {} })),
  );
  const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: layerDescs })));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }),
  );
  return total;
}

function skopeo(args: string[], home: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // A fresh HOME per copy: skopeo's blob-info cache would otherwise turn pushes into cross-repository mounts.
    const child = spawn('skopeo', ['--insecure-policy', 'copy', '--quiet', ...args], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`skopeo ${args.join(' ')} failed (${code}): ${err}`))));
  });
}

interface Target {
  name: string;
  address: string;
  /** skopeo's credential flags for pushes and pulls. */
  creds: (direction: 'src' | 'dest') => string[];
  prepare: (repository: string) => Promise<void>;
}

async function measure(target: Target, layout: string, scratch: string, round: number): Promise<{ pushMs: number; pullMs: number }> {
  const repo = `bench/r${round}`;
  await target.prepare(repo);
  const home = mkdtempSync(join(scratch, 'home-'));
  const pushMs = await skopeo([...target.creds('dest'), '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${target.address}/${repo}:bench`], home);
  const out = join(scratch, `pull-${target.name}-${round}`);
  const pullMs = await skopeo([...target.creds('src'), '--src-tls-verify=false', `docker://${target.address}/${repo}:bench`, `oci:${out}:bench`], mkdtempSync(join(scratch, 'home-')));
  rmSync(out, { recursive: true, force: true });
  return { pushMs, pullMs };
}

export async function run(args: string[]): Promise<void> {
  const sizeMb = Number(args[args.indexOf('--size-mb') + 1]) || 500;
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 2;
  const layers = 5;
  const layerMb = Math.max(1, Math.round(sizeMb / layers));
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bench-registry-'));
  const servers: ServerProcess[] = [];
  try {
    let bytes = 0;

    const distribution = await startDistribution();
    servers.push(distribution);
    const berth = await startBerthProcess();
    servers.push(berth);
    const ecr = new ECRClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: berth.credentials, maxAttempts: 1 });
    const token = Buffer.from((await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0]!.authorizationToken!, 'base64').toString('utf8');
    const targets: Target[] = [
      { name: 'docker-registry', address: distribution.address, creds: () => [], prepare: async () => undefined },
      {
        name: 'berth',
        address: new URL(berth.endpoint).host,
        creds: (d) => [`--${d}-creds`, token],
        prepare: async (repository) => void (await ecr.send(new CreateRepositoryCommand({ repositoryName: repository }))),
      },
    ];
    const best = new Map<string, { pushMs: number; pullMs: number }>();
    for (let round = 0; round < rounds; round++) {
      const layout = join(scratch, `layout-${round}`);
      process.stdout.write(`round ${round + 1}: an OCI layout of ${layers} new random layers × ${layerMb} MB…\n`);
      bytes = buildLayout(layout, layers, layerMb);
      // Alternate the order so neither server always runs on a warmer page cache.
      for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
        process.stdout.write(`round ${round + 1}/${rounds}: ${target.name}…\n`);
        const m = await measure(target, layout, scratch, round);
        const b = best.get(target.name);
        process.stdout.write(`  push ${(bytes / MB / (m.pushMs / 1000)).toFixed(0)} MB/s, pull ${(bytes / MB / (m.pullMs / 1000)).toFixed(0)} MB/s\n`);
        best.set(target.name, { pushMs: Math.min(b?.pushMs ?? Infinity, m.pushMs), pullMs: Math.min(b?.pullMs ?? Infinity, m.pullMs) });
      }
      rmSync(layout, { recursive: true, force: true });
    }
    const mbps = (ms: number) => bytes / MB / (ms / 1000);
    const d = best.get('docker-registry')!;
    const b = best.get('berth')!;
    process.stdout.write(`\nimage: ${(bytes / MB).toFixed(0)} MB in ${layers} layers; best of ${rounds} rounds; skopeo on loopback\n`);
    process.stdout.write(`                    push MB/s   pull MB/s\n`);
    process.stdout.write(`  docker-registry   ${mbps(d.pushMs).toFixed(0).padStart(9)}   ${mbps(d.pullMs).toFixed(0).padStart(9)}\n`);
    process.stdout.write(`  berth             ${mbps(b.pushMs).toFixed(0).padStart(9)}   ${mbps(b.pullMs).toFixed(0).padStart(9)}\n`);
    process.stdout.write(`  ratio (berth / distribution): push ${(d.pushMs / b.pushMs).toFixed(2)}×, pull ${(d.pullMs / b.pullMs).toFixed(2)}×\n`);
  } finally {
    for (const s of servers) await s.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
