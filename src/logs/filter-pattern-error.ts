// The one error a filter pattern can raise, and the sentences it carries.
//
// Where AWS's own wording is known from real InvalidParameterException
// responses it is reproduced exactly:
//   "Invalid character(s) in term '('"                      (PutMetricFilter, PutSubscriptionFilter, FilterLogEvents)
//   "If a filter pattern starts with '{' it must end with '}'"
//   "If a filter pattern starts with '[' it must end with ']'"
// Everything else is "Invalid filter pattern: <what is wrong>", the shape
// FilterLogEvents and StartLiveTail use. The API layer passes the message on
// unchanged as the InvalidParameterException message.

export class FilterPatternError extends Error {
  override readonly name = 'FilterPatternError';
}

/** A term holding characters the grammar does not allow there; `run` is the offending text as AWS quotes it. */
export function invalidCharacters(run: string): FilterPatternError {
  return new FilterPatternError(`Invalid character(s) in term '${run}'`);
}

export function unclosedPattern(open: '{' | '[', close: '}' | ']'): FilterPatternError {
  return new FilterPatternError(`If a filter pattern starts with '${open}' it must end with '${close}'`);
}

export function invalidPattern(detail: string): FilterPatternError {
  return new FilterPatternError(`Invalid filter pattern: ${detail}`);
}
