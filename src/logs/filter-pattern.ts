// The CloudWatch Logs filter pattern language, as metric filters, subscription
// filters, FilterLogEvents and Live Tail use it ("Filter pattern syntax for
// metric filters, subscription filters, filter log events, and Live Tail",
// CloudWatch Logs user guide). A pattern is compiled once; `matches` then
// runs per event and does no parsing, no RegExp construction and, for JSON
// patterns, no JSON.parse.
//
//   pattern (trimmed)
//     ''            → every message
//     '{' … '}'     → JSON              filter-pattern-json.ts
//     '[' … ']'     → space-delimited   filter-pattern-space.ts
//     '%' … '%'     → regular expression filter-pattern-regex.ts
//     otherwise     → terms             filter-pattern-terms.ts
//
// Syntax errors throw FilterPatternError carrying AWS's wording
// (filter-pattern-error.ts); the API layer answers InvalidParameterException
// with that message.

import { unclosedPattern } from './filter-pattern-error.js';
import { compileJsonPattern } from './filter-pattern-json.js';
import { compileRegexPattern } from './filter-pattern-regex.js';
import { compileSpaceDelimitedPattern } from './filter-pattern-space.js';
import { compileTermPattern } from './filter-pattern-terms.js';

export { FilterPatternError } from './filter-pattern-error.js';

export interface FilterPattern {
  /** The pattern as given. */
  readonly source: string;
  /** Does one log event message match? */
  matches(message: string): boolean;
  /** Substrings every matching message must contain (case-sensitive), for a cheap prefilter in SQL (instr). Empty when none is certain (e.g. OR terms, exclusions only, numeric JSON conditions). Never a substring a matching message could lack. */
  readonly required: readonly string[];
  /** For metric filters: the value a metric transformation names (`$.latency` in JSON patterns, `$bytes` for a space-delimited field) read from a matching message; undefined when absent. */
  value(message: string, selector: string): number | string | undefined;
}

const everything = (source: string): FilterPattern => ({
  source,
  required: [],
  matches: () => true,
  value: () => undefined,
});

export function compileFilterPattern(pattern: string): FilterPattern {
  const text = pattern.trim();
  if (text === '') return everything(pattern);
  const first = text[0];
  const last = text[text.length - 1];
  if (first === '{') {
    if (last !== '}') throw unclosedPattern('{', '}');
    return compileJsonPattern(pattern, text);
  }
  if (first === '[') {
    if (last !== ']') throw unclosedPattern('[', ']');
    return compileSpaceDelimitedPattern(pattern, text);
  }
  if (first === '%' && last === '%' && text.length > 1) return compileRegexPattern(pattern, text);
  return compileTermPattern(pattern, text);
}
