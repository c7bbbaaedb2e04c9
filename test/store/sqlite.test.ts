import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.js';
import { storeConformance } from './conformance.js';

storeConformance('sqlite', () => SqliteStore.open(join(mkdtempSync(join(tmpdir(), 'berth-store-')), 'berth.sqlite')));
