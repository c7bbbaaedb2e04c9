import { parseQuery, type Operator, type QueryNode, type Term } from './query.js';
import type { InstanceFacts } from './types.js';

// Evaluating the cluster query language against an instance's facts.
//
// A subject has zero, one or (task:group) several values on an instance. A
// positive operator (==, >, in, =~, …) holds when some value satisfies it;
// its negation (!=, !in, !~) holds when the subject has a value and none
// satisfies the positive one. So `attribute:stack != prod` lists the
// instances *with* a stack attribute other than prod, as the ECS docs'
// example says, and `not(task:group == database)` is the way to say "no
// task of the database group here".
//
// Comparisons: == is string equality (numbers for runningTasksCount and
// registeredAt, versions for agentVersion); > and < compare numbers as
// numbers, dotted versions part by part, anything else as strings.

export type Predicate = (facts: InstanceFacts, extraGroup?: string) => boolean;

export interface Query {
  expression: string;
  /** Whether the answer depends on the tasks on the instance (task:group), which change as a plan places tasks. */
  usesTaskGroup: boolean;
  /** `extraGroup`: a task group the plan has already placed on the instance, counted as if it ran there. */
  matches: Predicate;
}

const NEGATION: Partial<Record<Operator, Operator>> = { '!=': '==', '!in': 'in', '!~': '=~' };

const NUMERIC = /^-?\d+(\.\d+)?$/;
const VERSION = /^\d+(\.\d+)*$/;

/** Compares dotted versions part by part ("1.9.0" < "1.14.5"); missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

function compareValues(a: string, b: string): number {
  if (NUMERIC.test(a) && NUMERIC.test(b)) return Math.sign(Number(a) - Number(b));
  if (VERSION.test(a) && VERSION.test(b)) return compareVersions(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function ordered(op: Operator, c: number): boolean {
  switch (op) {
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    default:
      return c === 0;
  }
}

/** The subject's values on an instance: none when it does not exist there. */
function valuesOf(term: Term, f: InstanceFacts, extraGroup: string | undefined): (string | number | null)[] {
  const s = term.subject;
  switch (s.kind) {
    case 'attribute': {
      if (!f.attributes.has(s.name)) return [];
      const v = f.attributes.get(s.name);
      // A capability-style attribute exists but has no value to compare.
      return [v ?? null];
    }
    case 'agentConnected':
      return [String(f.agentConnected)];
    case 'agentVersion':
      return f.agentVersion === undefined ? [] : [f.agentVersion];
    case 'ec2InstanceId':
      return [f.ec2InstanceId];
    case 'registeredAt':
      return [f.registeredAt];
    case 'runningTasksCount':
      return [f.runningTasksCount];
    case 'task:group': {
      const out: string[] = [];
      for (const [g, n] of f.taskGroups) if (n > 0) out.push(g);
      if (extraGroup !== undefined && !f.taskGroups.get(extraGroup)) out.push(extraGroup);
      return out;
    }
  }
}

function positive(term: Term, op: Operator, v: string | number | null): boolean {
  if (v === null) return false;
  switch (op) {
    case 'in':
    case '==':
      if (term.numbers) return term.numbers.some((n) => n === v);
      if (term.subject.kind === 'agentVersion') return term.values.some((x) => compareVersions(String(v), x) === 0);
      return term.values.includes(String(v));
    case '=~':
      return term.patterns!.some((p) => p.test(String(v)));
    default: {
      const c = term.numbers
        ? Math.sign((v as number) - term.numbers[0]!)
        : term.subject.kind === 'agentVersion'
          ? compareVersions(String(v), term.values[0]!)
          : compareValues(String(v), term.values[0]!);
      return ordered(op, c);
    }
  }
}

function compileTerm(term: Term): Predicate {
  const op = term.op;
  if (op === 'exists') return (f, g) => valuesOf(term, f, g).length > 0;
  if (op === '!exists') return (f, g) => valuesOf(term, f, g).length === 0;
  const negated = NEGATION[op];
  if (negated) {
    return (f, g) => {
      const values = valuesOf(term, f, g);
      return values.length > 0 && !values.some((v) => positive(term, negated, v));
    };
  }
  return (f, g) => valuesOf(term, f, g).some((v) => positive(term, op, v));
}

function compileNode(node: QueryNode): Predicate {
  switch (node.kind) {
    case 'term':
      return compileTerm(node);
    case 'not': {
      const inner = compileNode(node.operand);
      return (f, g) => !inner(f, g);
    }
    case 'and': {
      const l = compileNode(node.left);
      const r = compileNode(node.right);
      return (f, g) => l(f, g) && r(f, g);
    }
    case 'or': {
      const l = compileNode(node.left);
      const r = compileNode(node.right);
      return (f, g) => l(f, g) || r(f, g);
    }
  }
}

function usesTaskGroup(node: QueryNode): boolean {
  if (node.kind === 'term') return node.subject.kind === 'task:group';
  if (node.kind === 'not') return usesTaskGroup(node.operand);
  return usesTaskGroup(node.left) || usesTaskGroup(node.right);
}

/** Parses and compiles an expression; throws QuerySyntaxError (a PlacementInputError) naming where it breaks. */
export function compileQuery(expression: string): Query {
  const tree = parseQuery(expression);
  return { expression, usesTaskGroup: usesTaskGroup(tree), matches: compileNode(tree) };
}
