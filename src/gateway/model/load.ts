import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Operation, Shape, ServiceModel } from './shapes.js';

// berth reads the published AWS service models from botocore (pip's
// `botocore`, or Debian's `python3-botocore`) rather than carrying copies of
// them. BERTH_BOTOCORE_DATA may point straight at botocore's data/ folder.

let dataDir: string | undefined;
const cache = new Map<string, ServiceModel>();

export class ModelsNotFoundError extends Error {}

export function botocoreDataDir(): string {
  if (dataDir) return dataDir;
  const fromEnv = process.env.BERTH_BOTOCORE_DATA;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ModelsNotFoundError(`BERTH_BOTOCORE_DATA=${fromEnv} does not exist`);
    return (dataDir = fromEnv);
  }
  for (const python of ['python3', 'python']) {
    try {
      const out = execFileSync(python, ['-c', 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      if (out && existsSync(out)) return (dataDir = out);
    } catch {
      // try the next interpreter
    }
  }
  throw new ModelsNotFoundError(
    'berth reads the AWS service models from botocore, and no python3 with botocore was found. ' +
      'Install it (`pip install botocore` or `apt-get install python3-botocore`) or set BERTH_BOTOCORE_DATA to botocore\'s data directory.',
  );
}

/** Loads the newest model version of a service, e.g. `ecs`, `elbv2`, `sts`. */
export function loadServiceModel(service: string): ServiceModel {
  const cached = cache.get(service);
  if (cached) return cached;
  const root = join(botocoreDataDir(), service);
  const versions = readdirSync(root).filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v)).sort();
  const latest = versions.at(-1);
  if (!latest) throw new ModelsNotFoundError(`no model versions for ${service} under ${root}`);
  const dir = join(root, latest);
  const plain = join(dir, 'service-2.json');
  const text = existsSync(plain) ? readFileSync(plain, 'utf8') : gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
  const model = JSON.parse(text) as ServiceModel;
  for (const [name, op] of Object.entries(model.operations)) op.name ??= name;
  cache.set(service, model);
  return model;
}

/** berth's own additions to a model: new shapes, new members of existing structures, new operations. */
export interface ModelExtension {
  shapes?: Record<string, Partial<Shape>>;
  operations?: Record<string, Operation>;
}

/** A copy of the model with the extension merged in; the cached original is left as it is. */
export function extendModel(model: ServiceModel, ext: ModelExtension): ServiceModel {
  const shapes = { ...model.shapes };
  for (const [name, add] of Object.entries(ext.shapes ?? {})) {
    const base = shapes[name];
    shapes[name] = base
      ? { ...base, ...add, members: { ...base.members, ...add.members }, required: [...(base.required ?? []), ...(add.required ?? [])] }
      : (add as Shape);
  }
  const operations = { ...model.operations };
  for (const [name, op] of Object.entries(ext.operations ?? {})) operations[name] = { ...op, name };
  return { ...model, shapes, operations };
}
