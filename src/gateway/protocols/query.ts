import { AwsError } from '../errors.js';
import type { ServiceModel, Shape } from '../model/shapes.js';

// The query protocol: form-encoded requests (`Action=…&Version=…&A.member.1=…`)
// decoded by walking the input shape, XML responses written from the output
// shape (`<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`).

const serialization = (message: string) => new AwsError('SerializationException', message);

export function parseForm(body: Buffer, rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const source of [rawQuery, body.toString('utf8')]) {
    for (const [k, v] of new URLSearchParams(source)) params.set(k, v);
  }
  return params;
}

export function decodeQuery(model: ServiceModel, shapeName: string, params: Map<string, string>): Record<string, unknown> {
  const out = decodeStructure(model, model.shapes[shapeName]!, params, '');
  return (out ?? {}) as Record<string, unknown>;
}

function hasPrefix(params: Map<string, string>, prefix: string): boolean {
  for (const k of params.keys()) if (k === prefix || k.startsWith(`${prefix}.`)) return true;
  return false;
}

function decodeStructure(model: ServiceModel, shape: Shape, params: Map<string, string>, prefix: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let any = false;
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const key = prefix + (ref.locationName ?? name);
    const v = decodeValue(model, ref.shape, params, key, ref.flattened);
    if (v !== undefined) {
      out[name] = v;
      any = true;
    }
  }
  return any || prefix === '' ? out : undefined;
}

function decodeValue(model: ServiceModel, shapeName: string, params: Map<string, string>, key: string, flattened?: boolean): unknown {
  const shape = model.shapes[shapeName]!;
  switch (shape.type) {
    case 'structure':
      return hasPrefix(params, key) ? decodeStructure(model, shape, params, `${key}.`) : undefined;
    case 'list': {
      if (params.get(key) === '') return []; // `Name=` sends an empty list
      const itemKey = flattened || shape.flattened ? key : `${key}.${shape.member!.locationName ?? 'member'}`;
      const items: unknown[] = [];
      for (let i = 1; hasPrefix(params, `${itemKey}.${i}`); i++) {
        items.push(decodeValue(model, shape.member!.shape, params, `${itemKey}.${i}`));
      }
      return items.length ? items : undefined;
    }
    case 'map': {
      const entryKey = flattened || shape.flattened ? key : `${key}.entry`;
      const out: Record<string, unknown> = {};
      let any = false;
      for (let i = 1; hasPrefix(params, `${entryKey}.${i}`); i++) {
        const k = params.get(`${entryKey}.${i}.${shape.key!.locationName ?? 'key'}`);
        if (k === undefined) continue;
        out[k] = decodeValue(model, shape.value!.shape, params, `${entryKey}.${i}.${shape.value!.locationName ?? 'value'}`);
        any = true;
      }
      return any ? out : undefined;
    }
    default: {
      const raw = params.get(key);
      if (raw === undefined) return undefined;
      return decodeScalar(shape, raw, key);
    }
  }
}

function decodeScalar(shape: Shape, raw: string, key: string): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(n)) throw serialization(`Value '${raw}' at '${key}' can not be converted to an integer.`);
      return n;
    }
    case 'float':
    case 'double': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw serialization(`Value '${raw}' at '${key}' can not be converted to a number.`);
      return n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw serialization(`Value '${raw}' at '${key}' can not be converted to a boolean.`);
      return raw === 'true';
    case 'timestamp': {
      const t = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
      if (!Number.isFinite(t)) throw serialization(`Value '${raw}' at '${key}' can not be converted to a timestamp.`);
      return new Date(t);
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"'\r]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c]!);
}

function encodeXmlValue(model: ServiceModel, shapeName: string, value: unknown, tag: string, out: string[], flattened?: boolean): void {
  if (value === undefined || value === null) return;
  const shape = model.shapes[shapeName]!;
  switch (shape.type) {
    case 'structure': {
      out.push(`<${tag}>`);
      encodeXmlMembers(model, shape, value as Record<string, unknown>, out);
      out.push(`</${tag}>`);
      return;
    }
    case 'list': {
      const items = value as unknown[];
      const itemTag = shape.member!.locationName ?? 'member';
      if (flattened || shape.flattened) {
        for (const item of items) encodeXmlValue(model, shape.member!.shape, item, tag, out);
        return;
      }
      out.push(`<${tag}>`);
      for (const item of items) encodeXmlValue(model, shape.member!.shape, item, itemTag, out);
      out.push(`</${tag}>`);
      return;
    }
    case 'map': {
      out.push(`<${tag}>`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        out.push('<entry>');
        out.push(`<${shape.key!.locationName ?? 'key'}>${escapeXml(k)}</${shape.key!.locationName ?? 'key'}>`);
        encodeXmlValue(model, shape.value!.shape, v, shape.value!.locationName ?? 'value', out);
        out.push('</entry>');
      }
      out.push(`</${tag}>`);
      return;
    }
    case 'timestamp': {
      const d = value instanceof Date ? value : new Date(value as string | number);
      out.push(`<${tag}>${d.toISOString()}</${tag}>`);
      return;
    }
    case 'blob':
      out.push(`<${tag}>${Buffer.isBuffer(value) ? value.toString('base64') : escapeXml(String(value))}</${tag}>`);
      return;
    default:
      out.push(`<${tag}>${escapeXml(String(value))}</${tag}>`);
  }
}

function encodeXmlMembers(model: ServiceModel, shape: Shape, value: Record<string, unknown>, out: string[]) {
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    encodeXmlValue(model, ref.shape, value[name], ref.locationName ?? name, out, ref.flattened);
  }
}

export function queryResponseXml(model: ServiceModel, operation: string, outputShape: string | undefined, resultWrapper: string | undefined, value: unknown, requestId: string): string {
  const ns = model.metadata.xmlNamespace ? ` xmlns="${model.metadata.xmlNamespace}"` : '';
  const out: string[] = [`<${operation}Response${ns}>`];
  if (outputShape) {
    const wrapper = resultWrapper ?? `${operation}Result`;
    out.push(`<${wrapper}>`);
    encodeXmlMembers(model, model.shapes[outputShape]!, (value ?? {}) as Record<string, unknown>, out);
    out.push(`</${wrapper}>`);
  }
  out.push(`<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`);
  return out.join('');
}

export function queryErrorXml(error: AwsError, requestId: string, xmlNamespace?: string): string {
  const ns = xmlNamespace ? ` xmlns="${xmlNamespace}"` : '';
  return (
    `<ErrorResponse${ns}><Error><Type>${error.sender ? 'Sender' : 'Receiver'}</Type>` +
    `<Code>${escapeXml(error.queryCode)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
