// ECS task placement, pure: what RunTask, StartTask, ListContainerInstances
// and the service scheduler use. See README.md.

export { MAX_CONSTRAINTS, parseConstraints, type Constraint, type WireConstraint } from './constraints.js';
export { placeOnInstances, placeTasks, type PlacementOptions, type PlacementRequest } from './place.js';
export { compileQuery, type Query } from './query-evaluate.js';
export { QuerySyntaxError } from './query.js';
export { chooseTasksToStop, type RunningTask } from './scale-in.js';
export { MAX_STRATEGIES, parseStrategies, RUN_TASK_DEFAULT_STRATEGY, SERVICE_DEFAULT_STRATEGY, toWireStrategy, type Strategy, type WireStrategy } from './strategy.js';
export { PlacementInputError, REASONS, type AttributeRequirement, type Failure, type InstanceFacts, type InstanceSnapshot, type Plan, type TaskDemand } from './types.js';
