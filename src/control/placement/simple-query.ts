// The part of ECS's cluster query language berth evaluates until the
// placement issue brings the whole of it: terms joined by `and` / `&&`, each
//
//   attribute:NAME == VALUE | != VALUE | exists | !exists
//   ec2InstanceId == VALUE | != VALUE
//   agentConnected == true|false
//   agentVersion == VALUE | != VALUE
//   runningTasksCount == | != | > | >= | < | <= NUMBER
//
// Anything else (or, not, parentheses, in, not_in, =~, task:group,
// registeredAt) is refused by name with an InvalidParameterException: a
// filter berth cannot evaluate is never silently ignored. Pure.

export interface InstanceFacts {
  ec2InstanceId: string;
  agentConnected: boolean;
  agentVersion?: string;
  runningTasksCount: number;
  attributes: { name?: string; value?: string }[];
}

export type Predicate = (facts: InstanceFacts) => boolean;

export class QueryError extends Error {}

type Token = { text: string; quoted: boolean };

const OPERATORS = ['==', '!=', '>=', '<=', '=~', '&&', '||', '>', '<', '!', '(', ')', '[', ']', ','];

function tokenize(expression: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const ch = expression[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = expression.indexOf(ch, i + 1);
      if (end < 0) throw new QueryError(`the quote at position ${i + 1} is never closed`);
      out.push({ text: expression.slice(i + 1, end), quoted: true });
      i = end + 1;
      continue;
    }
    // `!exists` is one word of the language, not `!` then `exists`.
    if (expression.startsWith('!exists', i)) {
      out.push({ text: '!exists', quoted: false });
      i += 7;
      continue;
    }
    const op = OPERATORS.find((o) => expression.startsWith(o, i));
    if (op) {
      out.push({ text: op, quoted: false });
      i += op.length;
      continue;
    }
    let j = i;
    while (j < expression.length && !/\s/.test(expression[j]!) && !OPERATORS.some((o) => expression.startsWith(o, j)) && expression[j] !== '"' && expression[j] !== "'") j++;
    out.push({ text: expression.slice(i, j), quoted: false });
    i = j;
  }
  return out;
}

const UNSUPPORTED: Record<string, string> = {
  or: "'or'",
  '||': "'||'",
  not: "'not'",
  '!': "'!'",
  '(': 'parentheses',
  ')': 'parentheses',
  in: "'in'",
  not_in: "'not_in'",
  '=~': "'=~'",
  '[': 'lists',
};

function term(tokens: Token[], at: number): { predicate: Predicate; next: number } {
  const field = tokens[at];
  if (!field) throw new QueryError('it ends where a term should start');
  if (!field.quoted && UNSUPPORTED[field.text]) throw new QueryError(`berth does not evaluate ${UNSUPPORTED[field.text]} yet`);
  const op = tokens[at + 1];
  if (!op) throw new QueryError(`'${field.text}' needs an operator after it`);
  if (!op.quoted && UNSUPPORTED[op.text]) throw new QueryError(`berth does not evaluate ${UNSUPPORTED[op.text]} yet`);
  const name = field.text;

  if (name.startsWith('attribute:')) {
    const attr = name.slice('attribute:'.length);
    if (!attr) throw new QueryError("'attribute:' needs an attribute name");
    const find = (f: InstanceFacts) => f.attributes.find((a) => a.name === attr);
    if (op.text === 'exists') return { predicate: (f) => find(f) !== undefined, next: at + 2 };
    if (op.text === '!exists') return { predicate: (f) => find(f) === undefined, next: at + 2 };
    const value = operand(tokens, at + 2, op.text);
    if (op.text === '==') return { predicate: (f) => find(f)?.value === value, next: at + 3 };
    if (op.text === '!=') return { predicate: (f) => find(f)?.value !== value, next: at + 3 };
    throw new QueryError(`berth does not evaluate '${op.text}' on attributes yet`);
  }
  if (name === 'ec2InstanceId' || name === 'agentVersion') {
    const value = operand(tokens, at + 2, op.text);
    const get = (f: InstanceFacts) => (name === 'ec2InstanceId' ? f.ec2InstanceId : f.agentVersion);
    if (op.text === '==') return { predicate: (f) => get(f) === value, next: at + 3 };
    if (op.text === '!=') return { predicate: (f) => get(f) !== value, next: at + 3 };
    throw new QueryError(`berth does not evaluate '${op.text}' on ${name} yet`);
  }
  if (name === 'agentConnected') {
    const value = operand(tokens, at + 2, op.text);
    if (value !== 'true' && value !== 'false') throw new QueryError(`agentConnected compares with true or false, not '${value}'`);
    if (op.text === '==') return { predicate: (f) => f.agentConnected === (value === 'true'), next: at + 3 };
    if (op.text === '!=') return { predicate: (f) => f.agentConnected !== (value === 'true'), next: at + 3 };
    throw new QueryError(`agentConnected takes == or !=, not '${op.text}'`);
  }
  if (name === 'runningTasksCount') {
    const raw = operand(tokens, at + 2, op.text);
    if (!/^\d+$/.test(raw)) throw new QueryError(`runningTasksCount compares with a number, not '${raw}'`);
    const n = Number(raw);
    const compare: Record<string, (a: number) => boolean> = {
      '==': (a) => a === n,
      '!=': (a) => a !== n,
      '>': (a) => a > n,
      '>=': (a) => a >= n,
      '<': (a) => a < n,
      '<=': (a) => a <= n,
    };
    const fn = compare[op.text];
    if (!fn) throw new QueryError(`berth does not evaluate '${op.text}' on runningTasksCount yet`);
    return { predicate: (f) => fn(f.runningTasksCount), next: at + 3 };
  }
  if (name === 'registeredAt' || name.startsWith('task:')) throw new QueryError(`berth does not evaluate '${name}' yet`);
  throw new QueryError(`'${name}' is not a field of the cluster query language`);
}

function operand(tokens: Token[], at: number, op: string): string {
  const t = tokens[at];
  if (!t) throw new QueryError(`'${op}' needs a value after it`);
  if (!t.quoted && (UNSUPPORTED[t.text] || OPERATORS.includes(t.text))) {
    throw new QueryError(UNSUPPORTED[t.text] ? `berth does not evaluate ${UNSUPPORTED[t.text]} yet` : `'${op}' needs a value after it, not '${t.text}'`);
  }
  return t.text;
}

/** Compiles an expression; throws QueryError saying what it cannot evaluate or where it breaks. */
export function compileQuery(expression: string): Predicate {
  const tokens = tokenize(expression);
  if (!tokens.length) throw new QueryError('it is empty');
  const parts: Predicate[] = [];
  let at = 0;
  for (;;) {
    const { predicate, next } = term(tokens, at);
    parts.push(predicate);
    const joiner = tokens[next];
    if (!joiner) break;
    if (!joiner.quoted && (joiner.text === 'and' || joiner.text === '&&')) {
      at = next + 1;
      continue;
    }
    if (!joiner.quoted && UNSUPPORTED[joiner.text]) throw new QueryError(`berth does not evaluate ${UNSUPPORTED[joiner.text]} yet`);
    throw new QueryError(`'${joiner.text}' cannot follow a complete term; join terms with 'and'`);
  }
  return (facts) => parts.every((p) => p(facts));
}
