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

type Value = string | number | null;

/**
 * A single-valued subject's value on an instance: undefined when it does not
 * exist there, null for an attribute that exists without a value (a
 * capability), which no comparison matches.
 */
function getterOf(subject: Term['subject']): (f: InstanceFacts) => Value | undefined {
  switch (subject.kind) {
    case 'attribute': {
      const name = subject.name;
      return (f) => {
        const v = f.attributes.get(name);
        return v !== undefined ? v : f.attributes.has(name) ? null : undefined;
      };
    }
    case 'agentConnected':
      return (f) => String(f.agentConnected);
    case 'agentVersion':
      return (f) => f.agentVersion;
    case 'ec2InstanceId':
      return (f) => f.ec2InstanceId;
    case 'registeredAt':
      return (f) => f.registeredAt;
    case 'runningTasksCount':
      return (f) => f.runningTasksCount;
    case 'task:group':
      throw new Error('task:group has several values');
  }
}

/** The groups with live tasks on an instance, and the one a plan is placing there. */
function groupsOf(f: InstanceFacts, extraGroup: string | undefined): string[] {
  const out: string[] = [];
  for (const [g, n] of f.taskGroups) if (n > 0) out.push(g);
  if (extraGroup !== undefined && !f.taskGroups.get(extraGroup)) out.push(extraGroup);
  return out;
}

function positive(term: Term, op: Operator, v: Value): boolean {
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
  const negated = NEGATION[op];
  if (term.subject.kind === 'task:group') {
    if (op === 'exists') return (f, g) => groupsOf(f, g).length > 0;
    if (op === '!exists') return (f, g) => groupsOf(f, g).length === 0;
    if (negated) {
      return (f, g) => {
        const groups = groupsOf(f, g);
        return groups.length > 0 && !groups.some((v) => positive(term, negated, v));
      };
    }
    return (f, g) => groupsOf(f, g).some((v) => positive(term, op, v));
  }
  const get = getterOf(term.subject);
  if (op === 'exists') return (f) => get(f) !== undefined;
  if (op === '!exists') return (f) => get(f) === undefined;
  if (negated) {
    return (f) => {
      const v = get(f);
      return v !== undefined && !positive(term, negated, v);
    };
  }
  return (f) => {
    const v = get(f);
    return v !== undefined && positive(term, op, v);
  };
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
