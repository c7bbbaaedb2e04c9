import { invalidPolicy } from './invalid.js';

// A tiny reader for the JSON value of a policy. ECR validates the document
// against a JSON schema and reports the schema validator's sentences; these
// helpers use the same sentences, prefixed with the path of the field
// (`rules[0].selection.countNumber`) so the caller sees what to fix.

function where(at: string): string {
  return at === '' ? '' : `${at}: `;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function wrongType(v: unknown, at: string, allowed: string): Error {
  return invalidPolicy(`${where(at)}instance type (${jsonType(v)}) does not match any allowed primitive type (allowed: ["${allowed}"])`);
}

/** An object with exactly the named properties: every `required` one, any of `optional`, nothing else. */
export function readObject(v: unknown, at: string, required: readonly string[], optional: readonly string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw wrongType(v, at, 'object');
  const o = v as Record<string, unknown>;
  const missing = required.filter((k) => !Object.hasOwn(o, k));
  if (missing.length > 0) throw invalidPolicy(`${where(at)}object has missing required properties (${JSON.stringify(missing)})`);
  const unknown = Object.keys(o).filter((k) => !required.includes(k) && !optional.includes(k));
  if (unknown.length > 0) throw invalidPolicy(`${where(at)}object instance has properties which are not allowed by the schema: (${JSON.stringify(unknown)})`);
  return o;
}

export function readArray(v: unknown, at: string, minItems: number): unknown[] {
  if (!Array.isArray(v)) throw wrongType(v, at, 'array');
  if (v.length < minItems) throw invalidPolicy(`${at}: array is too short: must have at least ${minItems} elements but instance has ${v.length} elements`);
  return v;
}

export function readString(v: unknown, at: string, minLength = 0): string {
  if (typeof v !== 'string') throw wrongType(v, at, 'string');
  if (v.length < minLength) throw invalidPolicy(`${at}: string ${JSON.stringify(v)} is too short (length: ${v.length}, required minimum: ${minLength})`);
  return v;
}

/** A non-empty list of non-empty strings (an empty prefix or pattern would select every tag). */
export function readStringList(v: unknown, at: string): string[] {
  return readArray(v, at, 1).map((s, i) => readString(s, `${at}[${i}]`, 1));
}

export function readInteger(v: unknown, at: string, minimum: number): number {
  // Safe integers only: a larger JSON number has already lost its value in JSON.parse.
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw wrongType(v, at, 'integer');
  if (v < minimum) throw invalidPolicy(`${at}: numeric instance is lower than the required minimum (minimum: ${minimum}, found: ${v})`);
  return v;
}

export function readEnum<T extends string>(v: unknown, at: string, values: readonly T[]): T {
  if (typeof v !== 'string') throw wrongType(v, at, 'string');
  if (!(values as readonly string[]).includes(v)) {
    throw invalidPolicy(`${at}: instance value (${JSON.stringify(v)}) not found in enum (possible values: ${JSON.stringify(values)})`);
  }
  return v as T;
}
