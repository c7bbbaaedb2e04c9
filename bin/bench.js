#!/usr/bin/env node
// Runs one benchmark: `node bin/bench.js NAME [ARGS…]` (or `npm run bench -- NAME`)
// imports dist/bench/NAME.js and calls its run(args). Without a known NAME it
// lists the benchmarks that are built.
import { existsSync, readdirSync } from 'node:fs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bench');

async function available() {
  if (!existsSync(benchDir)) return [];
  const names = readdirSync(benchDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
  const out = [];
  for (const name of names) {
    const mod = await import(pathToFileURL(join(benchDir, `${name}.js`)).href);
    if (typeof mod.run === 'function') out.push({ name, description: mod.description ?? '' });
  }
  return out;
}

async function list(stream) {
  const benches = await available();
  if (!benches.length) {
    stream.write(`No benchmarks built in ${benchDir}. Build first: npx tsc -p . (npm run bench does).\n`);
    return;
  }
  stream.write('usage: npm run bench -- NAME [ARGS…]   (or node bin/bench.js NAME)\n\nbenchmarks:\n');
  const w = Math.max(...benches.map((b) => b.name.length));
  for (const b of benches) stream.write(`  ${b.name.padEnd(w)}  ${b.description}\n`);
}

const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || name === '-h' || name === 'list') {
  await list(name ? process.stdout : process.stderr);
  process.exit(name ? 0 : 2);
}
const benches = await available();
const bench = benches.find((b) => b.name === name);
if (!bench) {
  process.stderr.write(`Unknown benchmark '${name}'.\n`);
  await list(process.stderr);
  process.exit(2);
}
try {
  const mod = await import(pathToFileURL(join(benchDir, `${name}.js`)).href);
  await mod.run(args);
  process.exit(0);
} catch (e) {
  process.stderr.write(`bench ${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
}
