import type { ServiceModel } from './model/shapes.js';

// Constraint checks from the model: required members, enums, lengths and
// ranges. Messages follow the AWS wording ("1 validation error detected:
// Value null at 'family' failed to satisfy constraint: Member must not be
// null") so each names the field. Patterns are not checked here: the models'
// patterns are Java regular expressions, and the domain checks the ones that
// matter with AWS's own messages.

const MAX_REPORTED = 10;

export function validateInput(model: ServiceModel, shapeName: string, value: unknown): string[] {
  const errors: string[] = [];
  walk(model, shapeName, value, '', errors);
  return errors;
}

export function validationMessage(errors: string[]): string {
  const n = errors.length;
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${errors.slice(0, MAX_REPORTED).join('; ')}`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value) || (typeof value === 'object' && value !== null)) return `'${JSON.stringify(value).slice(0, 100)}'`;
  return `'${String(value)}'`;
}

function walk(model: ServiceModel, shapeName: string, value: unknown, path: string, errors: string[]): void {
  if (errors.length > MAX_REPORTED) return;
  const shape = model.shapes[shapeName];
  if (!shape || value === undefined) return;
  const at = (p: string) => (path ? `${path}.${p}` : p);
  switch (shape.type) {
    case 'structure': {
      if (shape.document) return;
      const obj = value as Record<string, unknown>;
      for (const req of shape.required ?? []) {
        if (obj[req] === undefined) errors.push(`Value null at '${at(req)}' failed to satisfy constraint: Member must not be null`);
      }
      for (const [name, ref] of Object.entries(shape.members ?? {})) {
        if (obj[name] !== undefined) walk(model, ref.shape, obj[name], at(name), errors);
      }
      return;
    }
    case 'list': {
      const list = value as unknown[];
      checkLength(list.length, shape.min, shape.max, list, path, errors);
      list.forEach((v, i) => walk(model, shape.member!.shape, v, `${path}.${i + 1}.member`, errors));
      return;
    }
    case 'map': {
      const entries = Object.entries(value as Record<string, unknown>);
      checkLength(entries.length, shape.min, shape.max, value, path, errors);
      for (const [k, v] of entries) {
        walk(model, shape.key!.shape, k, `${path}.key`, errors);
        walk(model, shape.value!.shape, v, `${path}.${k}`, errors);
      }
      return;
    }
    case 'string': {
      const s = value as string;
      if (shape.enum && !shape.enum.includes(s)) {
        errors.push(`Value ${show(s)} at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      }
      checkLength(s.length, shape.min, shape.max, s, path, errors);
      return;
    }
    case 'integer':
    case 'long':
    case 'float':
    case 'double': {
      const n = value as number;
      if (shape.min !== undefined && n < shape.min) {
        errors.push(`Value ${show(n)} at '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${shape.min}`);
      }
      if (shape.max !== undefined && n > shape.max) {
        errors.push(`Value ${show(n)} at '${path}' failed to satisfy constraint: Member must have value less than or equal to ${shape.max}`);
      }
      return;
    }
    default:
      return;
  }
}

function checkLength(len: number, min: number | undefined, max: number | undefined, value: unknown, path: string, errors: string[]) {
  if (min !== undefined && len < min) {
    errors.push(`Value ${show(value)} at '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${min}`);
  }
  if (max !== undefined && len > max) {
    errors.push(`Value ${show(value)} at '${path}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }
}
