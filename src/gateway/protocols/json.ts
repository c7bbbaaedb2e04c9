import { AwsError } from '../errors.js';
import type { Shape, ServiceModel } from '../model/shapes.js';

// The awsJson1_1 protocol: request bodies are JSON objects shaped by the
// operation's input; timestamps travel as epoch seconds and blobs as base64.
// Decoding checks every value's type against the model (SerializationException
// as AWS answers for a wrong type); constraints are checked later by validate.

const serialization = (message: string) => new AwsError('SerializationException', message);

export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw serialization(`Could not parse the request body as JSON: ${(e as Error).message}`);
  }
}

export function decodeJson(model: ServiceModel, shapeName: string, value: unknown, path = ''): unknown {
  if (value === null || value === undefined) return undefined;
  const shape = model.shapes[shapeName];
  if (!shape) return value;
  const at = path || 'input';
  switch (shape.type) {
    case 'structure': {
      if (shape.document) return value;
      if (typeof value !== 'object' || Array.isArray(value)) throw serialization(`Expected an object at '${at}' but got ${describe(value)}.`);
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const v = (value as Record<string, unknown>)[name];
        if (v === undefined || v === null) continue;
        const decoded = decodeJson(model, ref.shape, v, path ? `${path}.${name}` : name);
        if (decoded !== undefined) out[name] = decoded;
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) throw serialization(`Expected a list at '${at}' but got ${describe(value)}.`);
      return value.map((v, i) => decodeJson(model, shape.member!.shape, v, `${at}.${i + 1}.member`));
    }
    case 'map': {
      if (typeof value !== 'object' || Array.isArray(value)) throw serialization(`Expected a map at '${at}' but got ${describe(value)}.`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = decodeJson(model, shape.value!.shape, v, `${at}.${k}`);
      return out;
    }
    case 'string':
      if (typeof value !== 'string') throw serialization(`Expected a string at '${at}' but got ${describe(value)}.`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw serialization(`Expected a boolean at '${at}' but got ${describe(value)}.`);
      return value;
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(`Expected an integer at '${at}' but got ${describe(value)}.`);
      return value;
    case 'float':
    case 'double':
    case 'bigdecimal':
    case 'biginteger':
      if (typeof value !== 'number') throw serialization(`Expected a number at '${at}' but got ${describe(value)}.`);
      return value;
    case 'timestamp': {
      const ms = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : NaN;
      if (!Number.isFinite(ms)) throw serialization(`Expected a timestamp at '${at}' but got ${describe(value)}.`);
      return new Date(ms);
    }
    case 'blob':
      if (typeof value !== 'string') throw serialization(`Expected base64 data at '${at}' but got ${describe(value)}.`);
      return Buffer.from(value, 'base64');
    default:
      return value;
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Shapes the handler's output into JSON: drops absent members, encodes timestamps and blobs. */
export function encodeJson(model: ServiceModel, shapeName: string, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  const shape: Shape | undefined = model.shapes[shapeName];
  if (!shape) return value;
  switch (shape.type) {
    case 'structure': {
      if (shape.document || typeof value !== 'object') return value;
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        const v = encodeJson(model, ref.shape, (value as Record<string, unknown>)[name]);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list':
      return Array.isArray(value) ? value.map((v) => encodeJson(model, shape.member!.shape, v)) : undefined;
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = encodeJson(model, shape.value!.shape, v);
      return out;
    }
    case 'timestamp':
      return value instanceof Date ? value.getTime() / 1000 : typeof value === 'number' ? value : Date.parse(String(value)) / 1000;
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : value;
    default:
      return value;
  }
}

export function jsonErrorBody(error: AwsError): string {
  return JSON.stringify({ __type: error.code, message: error.message, ...error.extra });
}
