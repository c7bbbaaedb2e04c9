import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilterPattern } from '../../src/logs/filter-pattern.js';

// Not a benchmark and no assertion on time: it runs a million matches of each
// kind over ~100-byte messages, as a FilterLogEvents scan would, and reports
// the figures (node --test prints them as diagnostics). FilterLogEvents over
// 1,000,000 events has a one-second budget in all.

const EVENTS = 1_000_000;

/** Strings as the store hands them over: flat, not the rope padEnd builds. */
const flat = (s: string) => Buffer.from(s).toString();

function textMessages(): string[] {
  const levels = ['INFO', 'WARN', 'ERROR', 'DEBUG'];
  return Array.from({ length: 1000 }, (_, i) =>
    flat(`2024-05-0${(i % 9) + 1}T12:00:${String(i % 60).padStart(2, '0')}Z ${levels[i % 4]} request ${i} handled in ${i % 700} ms by worker-${i % 16} ok`.padEnd(100, '.')),
  );
}

function jsonMessages(): string[] {
  return Array.from({ length: 1000 }, (_, i) =>
    flat(JSON.stringify({ eventType: i % 3 === 0 ? 'UpdateTrail' : 'GetTrail', latency: i % 700, sourceIPAddress: `10.0.${i % 255}.1`, user: { id: i } }).padEnd(100, ' ')),
  );
}

function run(pattern: string, messages: readonly string[]): { ms: number; matched: number } {
  const p = compileFilterPattern(pattern);
  for (let k = 0; k < 50_000; k++) p.matches(messages[k % messages.length]!); // let the JIT settle first
  const start = performance.now();
  let matched = 0;
  for (let k = 0; k < EVENTS; k++) if (p.matches(messages[k % messages.length]!)) matched++;
  return { ms: performance.now() - start, matched };
}

test('a million matches per pattern kind, timed', (t) => {
  const text = textMessages();
  const json = jsonMessages();
  const doc = (m: string) => JSON.parse(m) as { eventType: string; latency: number };
  // Each pattern with a plain reading of what it should match, to check the counts.
  const figures: [string, readonly string[], (m: string) => boolean][] = [
    ['ERROR', text, (m) => m.includes('ERROR')],
    ['?ERROR ?WARN', text, (m) => m.includes('ERROR') || m.includes('WARN')],
    ['%worker-1[0-5]%', text, (m) => /worker-1[0-5]/.test(m)],
    ['{ $.eventType = "UpdateTrail" }', json, (m) => doc(m).eventType === 'UpdateTrail'],
    ['{ $.latency > 500 }', json, (m) => doc(m).latency > 500],
    ['[date, level = ERROR, ...]', text, (m) => m.split(' ')[1] === 'ERROR'],
  ];
  for (const [pattern, messages, reference] of figures) {
    const { ms, matched } = run(pattern, messages);
    assert.equal(matched, (messages.filter(reference).length * EVENTS) / messages.length, pattern);
    t.diagnostic(`${pattern.padEnd(52)} ${EVENTS.toLocaleString('en')} events in ${ms.toFixed(0)} ms (${((ms * 1e6) / EVENTS).toFixed(0)} ns/event)`);
  }
  const parse = (m: string) => (JSON.parse(m) as { latency: number }).latency > 500;
  for (let k = 0; k < 50_000; k++) parse(json[k % json.length]!);
  const start = performance.now();
  let n = 0;
  for (let k = 0; k < EVENTS; k++) if (parse(json[k % json.length]!)) n++;
  t.diagnostic(`${'(anchor: JSON.parse + property read)'.padEnd(52)} ${EVENTS.toLocaleString('en')} events in ${(performance.now() - start).toFixed(0)} ms`);
  assert.equal(n, (json.filter((m) => doc(m).latency > 500).length * EVENTS) / json.length);
});
