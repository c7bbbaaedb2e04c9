import { compileQuery, type Query } from './query-evaluate.js';
import { PlacementInputError } from './types.js';

// Placement constraints as ECS accepts them, from the task definition and the
// request together: distinctInstance, and memberOf with an expression in the
// cluster query language (compiled once, here).

export type Constraint = { type: 'distinctInstance' } | { type: 'memberOf'; query: Query };

/** "You can specify up to 10 constraints for each task (including constraints in the task definition and those specified at runtime)." */
export const MAX_CONSTRAINTS = 10;
/** The expression's length limit in ECS's API model. */
export const MAX_EXPRESSION_LENGTH = 2000;

export interface WireConstraint {
  type?: string;
  expression?: string;
}

const invalid = (message: string) => new PlacementInputError(message);

function parseOne(c: WireConstraint): Constraint {
  switch (c.type) {
    case 'distinctInstance':
      if (c.expression) throw invalid("You can't specify an expression if the constraint type is distinctInstance.");
      return { type: 'distinctInstance' };
    case 'memberOf': {
      const expression = c.expression ?? '';
      if (!expression.trim()) throw invalid('A memberOf placement constraint needs an expression in the cluster query language.');
      if (expression.length > MAX_EXPRESSION_LENGTH) throw invalid(`A placement constraint expression can have at most ${MAX_EXPRESSION_LENGTH} characters.`);
      return { type: 'memberOf', query: compileQuery(expression) };
    }
    case undefined:
    case '':
      throw invalid('A placement constraint needs a type: distinctInstance or memberOf.');
    default:
      throw invalid(`'${c.type}' is not a placement constraint type; use distinctInstance or memberOf.`);
  }
}

/** The task definition's and the request's constraints, checked and compiled. Throws PlacementInputError (QuerySyntaxError for a bad expression). */
export function parseConstraints(fromTaskDefinition: readonly WireConstraint[] | undefined, fromRequest: readonly WireConstraint[] | undefined): Constraint[] {
  const all = [...(fromTaskDefinition ?? []), ...(fromRequest ?? [])];
  if (all.length > MAX_CONSTRAINTS) {
    throw invalid(`You can specify up to ${MAX_CONSTRAINTS} placement constraints for a task, including those in its task definition; there are ${all.length}.`);
  }
  return all.map(parseOne);
}
