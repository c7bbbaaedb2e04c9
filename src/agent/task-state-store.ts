import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RECORD_FORMAT, randomHex, type TaskRecord } from './task-record.js';

// The engine's state directory: one JSON file per task it owns, and the
// images it has pulled (for imagePullBehavior `once`). Every write goes to a
// temporary file that is renamed over the old one, so a crash leaves either
// the old or the new state, never half of one.

export class TaskStateStore {
  readonly dir: string;
  readonly #tasks: string;

  constructor(dir: string) {
    this.dir = dir;
    this.#tasks = join(dir, 'tasks');
    mkdirSync(this.#tasks, { recursive: true });
  }

  #file(taskArn: string): string {
    return join(this.#tasks, `${createHash('sha256').update(taskArn).digest('hex').slice(0, 40)}.json`);
  }

  async save(taskArn: string, json: string): Promise<void> {
    const file = this.#file(taskArn);
    const tmp = `${file}.${randomHex(4)}.tmp`;
    await writeFile(tmp, json);
    await rename(tmp, file);
  }

  async remove(taskArn: string): Promise<void> {
    await rm(this.#file(taskArn), { force: true });
  }

  /** Every task record; unreadable files are set aside as `*.corrupt` and reported through `onBad`. */
  loadAll(onBad: (file: string, error: string) => void): TaskRecord[] {
    const out: TaskRecord[] = [];
    for (const f of readdirSync(this.#tasks)) {
      const path = join(this.#tasks, f);
      if (f.endsWith('.tmp')) {
        rmSync(path, { force: true });
        continue;
      }
      if (!f.endsWith('.json')) continue;
      try {
        const rec = JSON.parse(readFileSync(path, 'utf8')) as TaskRecord;
        if (rec.format !== RECORD_FORMAT || !rec.assignment?.taskArn || !Array.isArray(rec.containers)) throw new Error('not a task record');
        out.push(rec);
      } catch (e) {
        onBad(path, (e as Error).message);
        renameSync(path, `${path}.corrupt`);
      }
    }
    return out;
  }

  loadPulledImages(): Set<string> {
    try {
      return new Set(JSON.parse(readFileSync(join(this.dir, 'pulled-images.json'), 'utf8')) as string[]);
    } catch {
      return new Set();
    }
  }

  savePulledImages(images: Set<string>): void {
    const file = join(this.dir, 'pulled-images.json');
    const tmp = `${file}.${randomHex(4)}.tmp`;
    writeFileSync(tmp, JSON.stringify([...images]));
    renameSync(tmp, file);
  }
}
