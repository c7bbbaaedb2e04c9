import type { ServiceModel } from './model/shapes.js';
import type { Caller } from './sigv4.js';

// What a service module gives the gateway: its model, how it is reached and
// its operation handlers. Handlers receive input already decoded and checked
// against the model, and return the output shape as plain values (Date for
// timestamps); the protocol serializer does the rest.

export interface RequestContext {
  requestId: string;
  caller: Caller;
  /** Milliseconds since the epoch at which the request arrived. */
  now: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (input: any, ctx: RequestContext) => unknown | Promise<unknown>;

export interface ServiceDefinition {
  /** botocore's name for the service, e.g. `ecs`. */
  name: string;
  /** The service name in the SigV4 credential scope, e.g. `ecs`, `elasticloadbalancing`. */
  signingName: string;
  model: ServiceModel;
  protocol: 'json' | 'query';
  /** The error code a constraint violation (required, enum, range) answers with. */
  validationErrorCode: string;
  handlers: Record<string, Handler>;
}
