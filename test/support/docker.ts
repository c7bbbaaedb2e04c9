import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

// Docker for the tests that run real containers: whether an engine answers,
// and the one test image, built offline FROM scratch with the host's static
// busybox (nothing can be pulled here).

export const TEST_IMAGE = 'berth-test/busybox:latest';

export function dockerAvailable(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** Skips the test when Docker is absent, except under CI, where a missing engine is a failure. */
export function requireDocker(t?: TestContext): boolean {
  if (dockerAvailable()) return true;
  if (process.env.CI) throw new Error('Docker is required under CI: .ci/run should have installed docker.io and started dockerd.');
  t?.skip('no Docker engine answers (install docker.io and start dockerd)');
  return false;
}

export function busyboxPath(): string {
  for (const p of ['/usr/bin/busybox', '/bin/busybox', '/usr/local/bin/busybox']) if (existsSync(p)) return p;
  throw new Error('the static busybox binary is missing: apt-get install busybox-static');
}

let built = false;

/** Builds TEST_IMAGE once per process (docker build is cached across runs). */
export function buildTestImage(): string {
  if (built) return TEST_IMAGE;
  const dir = mkdtempSync(join(tmpdir(), 'berth-image-'));
  try {
    copyFileSync(busyboxPath(), join(dir, 'busybox'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /var/www && chmod 1777 /tmp"]\nCMD ["sh"]\n');
    const r = spawnSync('docker', ['build', '-q', '-t', TEST_IMAGE, dir], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`docker build of ${TEST_IMAGE} failed: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  built = true;
  return TEST_IMAGE;
}

/** Containers berth started for a task, by the ECS label. */
export function containersOfTask(taskArn: string): string[] {
  const r = spawnSync('docker', ['ps', '-aq', '--filter', `label=com.amazonaws.ecs.task-arn=${taskArn}`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

/** Removes every container and volume an agent with this state dir left behind (the label the task engine sets). */
export function removeAgentLeftovers(stateDir: string): void {
  const label = `label=berth.agent.state-dir=${stateDir}`;
  const ids = spawnSync('docker', ['ps', '-aq', '--filter', label], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { stdio: 'ignore' });
  const volumes = spawnSync('docker', ['volume', 'ls', '-q', '--filter', label], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
}
