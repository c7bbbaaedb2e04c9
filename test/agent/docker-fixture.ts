import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DockerRuntime } from '../../src/agent/runtime/docker.js';
import { busyboxRootfs, findStaticBusybox, tarArchive } from '../../src/agent/runtime/scratch-image.js';

// The Docker side of the agent's tests: one runtime, a run id every created
// object is labelled with, and the busybox image built FROM scratch (its tag
// is its content, so it is kept between runs). Without Docker the tests skip,
// except under CI, where a failing test says Docker is missing.

export const RUN = randomBytes(4).toString('hex');
export const TEST_LABEL = 'berth.test.run';

export async function openDocker(): Promise<{ runtime: DockerRuntime; skip: string | false }> {
  const runtime = new DockerRuntime();
  let dockerError: string | undefined;
  try {
    await runtime.docker.ping();
  } catch (e) {
    dockerError = (e as Error).message;
  }
  if (dockerError && process.env.CI) {
    test('Docker is available (CI is set)', () => assert.fail(`these tests need Docker, and none answers: ${dockerError}`));
  }
  return { runtime, skip: dockerError ? `no Docker engine answers (${dockerError})` : false };
}

export async function testImage(runtime: DockerRuntime): Promise<string> {
  const busybox = findStaticBusybox();
  const tag = createHash('sha256').update(busybox).update(String(process.getuid?.() ?? '')).digest('hex').slice(0, 12);
  const image = `berth-test/busybox:${tag}`;
  if (!(await runtime.imageExists(image))) await runtime.importImage(tarArchive(busyboxRootfs(busybox)), 'berth-test/busybox', tag);
  return image;
}
