import { PlacementInputError } from './types.js';

// The cluster query language of ECS, parsed into a small tree
// ("Create expressions to define container instances for Amazon ECS tasks"):
//
//   expression := or
//   or         := and (('or' | '||') and)*
//   and        := unary (('and' | '&&') unary)*
//   unary      := ('not' | '!') unary | '(' or ')' | term
//   term       := subject operator [argument]
//   subject    := attribute:NAME | agentConnected | agentVersion | ec2InstanceId
//                 | registeredAt | runningTasksCount | task:group
//   operator   := == equals | != not_equals | > greater_than | >= greater_than_equal
//                 | < less_than | <= less_than_equal | exists | !exists not_exists
//                 | in | !in not_in | =~ matches | !~ not_matches
//   argument   := value | '[' value (',' value)* ']'
//   value      := a bare word | 'single' or "double" quoted text
//
// A bare word runs until white space, one of ( ) [ ] , ' " = ! < > or a
// doubled && / ||; anything else (a regular expression with | or brackets,
// a value with spaces) is quoted. Keywords are case-insensitive. Every
// subject takes the operators the ECS docs list for it. Errors say where the
// expression breaks (1-based character position).

export type Operator = '==' | '!=' | '>' | '>=' | '<' | '<=' | 'exists' | '!exists' | 'in' | '!in' | '=~' | '!~';

export type Subject =
  | { kind: 'attribute'; name: string }
  | { kind: 'agentConnected' | 'agentVersion' | 'ec2InstanceId' | 'registeredAt' | 'runningTasksCount' | 'task:group' };

export interface Term {
  kind: 'term';
  subject: Subject;
  op: Operator;
  /** The literal argument(s); one for most operators, the list for in / !in, none for exists. */
  values: string[];
  /** =~ and !~: each value as a whole-value regular expression. */
  patterns?: RegExp[];
  /** runningTasksCount and registeredAt: the values as numbers (registeredAt in ms). */
  numbers?: number[];
  /** 0-based position of the subject. */
  at: number;
}

export type QueryNode = Term | { kind: 'and' | 'or'; left: QueryNode; right: QueryNode } | { kind: 'not'; operand: QueryNode };

/** A syntax error: `position` is the 1-based character where the expression breaks, or 0 for its end. */
export class QuerySyntaxError extends PlacementInputError {
  constructor(
    readonly expression: string,
    readonly position: number,
    readonly detail: string,
  ) {
    super(`The expression '${expression}' is not valid ${position ? `at character ${position}` : 'at its end'}: ${detail}.`);
  }
}

type Token = { kind: 'word' | 'string' | 'op' | 'punct'; text: string; at: number };

const PUNCT = '()[],';
const TWO_CHAR_OPS = ['==', '!=', '>=', '<=', '=~', '!~', '&&', '||'];

const NAMED_OPERATORS: Record<string, Operator> = {
  equals: '==',
  not_equals: '!=',
  greater_than: '>',
  greater_than_equal: '>=',
  less_than: '<',
  less_than_equal: '<=',
  exists: 'exists',
  not_exists: '!exists',
  in: 'in',
  not_in: '!in',
  matches: '=~',
  not_matches: '!~',
};
const SYMBOL_OPERATORS: Record<string, Operator> = {
  '==': '==',
  '!=': '!=',
  '>': '>',
  '>=': '>=',
  '<': '<',
  '<=': '<=',
  '!exists': '!exists',
  '!in': '!in',
  '=~': '=~',
  '!~': '!~',
};

const EQUALITY: Operator[] = ['==', '!=', 'in', '!in', '=~', '!~'];
const ORDERING: Operator[] = ['==', '!=', '>', '>=', '<', '<='];
/** The operators each subject takes, as the ECS docs list them. */
const VALID_OPERATORS: Record<Subject['kind'], Operator[]> = {
  attribute: ['==', '!=', '>', '>=', '<', '<=', 'exists', '!exists', 'in', '!in', '=~', '!~'],
  agentConnected: EQUALITY,
  agentVersion: ORDERING,
  ec2InstanceId: EQUALITY,
  registeredAt: ORDERING,
  runningTasksCount: ORDERING,
  'task:group': [...EQUALITY, 'exists', '!exists'],
};

const FIELDS = ['agentConnected', 'agentVersion', 'ec2InstanceId', 'registeredAt', 'runningTasksCount', 'task:group'] as const;
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_\-/\\.]{1,128}$/;
const SUBJECTS_HINT = 'attribute:NAME, agentConnected, agentVersion, ec2InstanceId, registeredAt, runningTasksCount or task:group';

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

function endsWord(s: string, i: number): boolean {
  if (i >= s.length) return true;
  const c = s[i]!;
  if (isSpace(c) || PUNCT.includes(c) || c === '"' || c === "'" || '=!<>'.includes(c)) return true;
  return (c === '&' && s[i + 1] === '&') || (c === '|' && s[i + 1] === '|');
}

function tokenize(expression: string): Token[] {
  const fail = (at: number, detail: string): never => {
    throw new QuerySyntaxError(expression, at + 1, detail);
  };
  const out: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (PUNCT.includes(c)) {
      out.push({ kind: 'punct', text: c, at: i });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = expression.indexOf(c, i + 1);
      if (end < 0) fail(i, `the quote ${c} is never closed`);
      out.push({ kind: 'string', text: expression.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    // `!exists` and `!in` are operators of their own, not `!` before a word.
    const bang = ['!exists', '!in'].find((w) => expression.startsWith(w, i) && endsWord(expression, i + w.length));
    if (bang) {
      out.push({ kind: 'op', text: bang, at: i });
      i += bang.length;
      continue;
    }
    const two = TWO_CHAR_OPS.find((o) => expression.startsWith(o, i));
    if (two) {
      out.push({ kind: 'op', text: two, at: i });
      i += 2;
      continue;
    }
    if (c === '>' || c === '<' || c === '!') {
      out.push({ kind: 'op', text: c, at: i });
      i++;
      continue;
    }
    if (c === '=') fail(i, "'=' is not an operator; equality is '=='");
    let j = i + 1;
    while (!endsWord(expression, j)) j++;
    out.push({ kind: 'word', text: expression.slice(i, j), at: i });
    i = j;
  }
  return out;
}

const show = (t: Token | undefined) => (!t ? 'the end of the expression' : t.kind === 'string' ? `the quoted value '${t.text}'` : `'${t.text}'`);

class Parser {
  #i = 0;
  constructor(
    readonly expression: string,
    readonly tokens: Token[],
  ) {}

  fail(t: Token | undefined, detail: string): never {
    throw new QuerySyntaxError(this.expression, t ? t.at + 1 : 0, detail);
  }

  peek(): Token | undefined {
    return this.tokens[this.#i];
  }

  next(): Token | undefined {
    return this.tokens[this.#i++];
  }

  isKeyword(t: Token | undefined, word: string, symbol: string): boolean {
    if (!t) return false;
    if (t.kind === 'op' && t.text === symbol) return true;
    return t.kind === 'word' && t.text.toLowerCase() === word;
  }

  parse(): QueryNode {
    if (!this.tokens.length) this.fail(undefined, 'it is empty');
    const node = this.or();
    const rest = this.peek();
    if (rest) {
      if (rest.kind === 'punct' && rest.text === ')') this.fail(rest, "this ')' closes no '('");
      this.fail(rest, `${show(rest)} cannot follow a complete expression; join expressions with 'and' or 'or'`);
    }
    return node;
  }

  or(): QueryNode {
    let left = this.and();
    while (this.isKeyword(this.peek(), 'or', '||')) {
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  and(): QueryNode {
    let left = this.unary();
    while (this.isKeyword(this.peek(), 'and', '&&')) {
      this.next();
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }

  unary(): QueryNode {
    const t = this.peek();
    if (this.isKeyword(t, 'not', '!')) {
      this.next();
      return { kind: 'not', operand: this.unary() };
    }
    if (t?.kind === 'punct' && t.text === '(') {
      this.next();
      const inner = this.or();
      const close = this.next();
      if (!close || close.kind !== 'punct' || close.text !== ')') this.fail(close, `expected ')' to close the '(' at character ${t.at + 1}, found ${show(close)}`);
      return inner;
    }
    return this.term();
  }

  subject(t: Token | undefined): Subject {
    if (!t) this.fail(t, `expected a subject (${SUBJECTS_HINT})`);
    if (t.kind !== 'word') this.fail(t, `expected a subject (${SUBJECTS_HINT}), found ${show(t)}`);
    const field = FIELDS.find((f) => f === t.text);
    if (field) return { kind: field };
    if (t.text.startsWith('attribute:')) {
      const name = t.text.slice('attribute:'.length);
      if (!ATTRIBUTE_NAME.test(name)) {
        this.fail(t, `'${t.text}' does not name an attribute: after 'attribute:' come 1 to 128 letters, numbers, hyphens, underscores, slashes, back slashes or periods`);
      }
      return { kind: 'attribute', name };
    }
    if (t.text.startsWith('ecs.')) this.fail(t, `'${t.text}' is not a subject; an attribute is written attribute:${t.text}`);
    this.fail(t, `'${t.text}' is not a subject of the cluster query language (${SUBJECTS_HINT})`);
  }

  operator(t: Token | undefined, subject: Token): Operator {
    const op = !t ? undefined : t.kind === 'op' ? SYMBOL_OPERATORS[t.text] : t.kind === 'word' ? NAMED_OPERATORS[t.text.toLowerCase()] : undefined;
    if (!op) this.fail(t, `expected an operator after '${subject.text}' (==, !=, >, >=, <, <=, exists, !exists, in, not_in, =~, !~), found ${show(t)}`);
    return op;
  }

  value(op: Token): Token {
    const t = this.next();
    if (!t || (t.kind !== 'word' && t.kind !== 'string')) this.fail(t, `'${op.text}' needs a value after it, found ${show(t)}`);
    return t;
  }

  list(op: Token): Token[] {
    const open = this.next();
    if (!open || open.kind !== 'punct' || open.text !== '[') this.fail(open, `'${op.text}' needs a list such as [a, b] after it, found ${show(open)}`);
    const values: Token[] = [];
    for (;;) {
      const t = this.next();
      if (!t) this.fail(t, `the list opened at character ${open.at + 1} is never closed with ']'`);
      if (t.kind === 'punct' && t.text === ']' && !values.length) this.fail(t, 'an argument list needs at least one value');
      if (t.kind !== 'word' && t.kind !== 'string') this.fail(t, `expected a value in the list, found ${show(t)}`);
      values.push(t);
      const sep = this.next();
      if (sep?.kind === 'punct' && sep.text === ']') return values;
      if (!sep) this.fail(sep, `the list opened at character ${open.at + 1} is never closed with ']'`);
      if (!sep || sep.kind !== 'punct' || sep.text !== ',') this.fail(sep, `expected ',' or ']' in the list opened at character ${open.at + 1}, found ${show(sep)}`);
    }
  }

  term(): Term {
    const subjectToken = this.next();
    const subject = this.subject(subjectToken);
    const opToken = this.next();
    const op = this.operator(opToken, subjectToken!);
    const name = subject.kind === 'attribute' ? 'attribute:NAME' : subject.kind;
    if (!VALID_OPERATORS[subject.kind].includes(op)) {
      this.fail(opToken, `'${opToken!.text}' does not apply to ${name}, which takes ${VALID_OPERATORS[subject.kind].join(', ')}`);
    }
    const args = op === 'exists' || op === '!exists' ? [] : op === 'in' || op === '!in' ? this.list(opToken!) : [this.value(opToken!)];
    const term: Term = { kind: 'term', subject, op, values: args.map((a) => a.text), at: subjectToken!.at };
    if (op === '=~' || op === '!~') {
      term.patterns = args.map((a) => {
        try {
          // Java's Pattern.matches: the pattern must match the whole value.
          return new RegExp(`^(?:${a.text})$`);
        } catch {
          return this.fail(a, `'${a.text}' is not a valid regular expression`);
        }
      });
      return term;
    }
    if (subject.kind === 'runningTasksCount') {
      term.numbers = args.map((a) => (/^\d{1,9}$/.test(a.text) ? Number(a.text) : this.fail(a, `runningTasksCount compares with a whole number, not '${a.text}'`)));
    } else if (subject.kind === 'registeredAt') {
      term.numbers = args.map((a) => parseDate(a.text) ?? this.fail(a, `registeredAt compares with a date such as 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00, not '${a.text}'`));
    } else if (subject.kind === 'agentConnected') {
      for (const a of args) if (!/^(true|false)$/i.test(a.text)) this.fail(a, `agentConnected compares with true or false, not '${a.text}'`);
      term.values = term.values.map((v) => v.toLowerCase());
    }
    return term;
  }
}

/** registeredAt's date formats from the ECS docs; a time without a zone is UTC. */
export function parseDate(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${zone}`);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse rolls 2018-02-30 over to March; a date that does not exist is refused.
  const check = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  return ms;
}

/** Parses an expression of the cluster query language; throws QuerySyntaxError naming where it breaks. */
export function parseQuery(expression: string): QueryNode {
  return new Parser(expression, tokenize(expression)).parse();
}
