import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemDriver } from '../../src/registry/drivers/filesystem.js';
import { driverConformance } from './driver-conformance.js';

driverConformance('filesystem', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-driver-'));
  return { driver: new FilesystemDriver(root), close: async () => rmSync(root, { recursive: true, force: true }) };
});
