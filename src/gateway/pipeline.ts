import { AwsError } from './errors.js';
import { decodeJson, encodeJson, jsonErrorBody, parseJsonBody } from './protocols/json.js';
import { decodeQuery, parseForm, queryErrorXml, queryResponseXml } from './protocols/query.js';
import type { Operation } from './model/shapes.js';
import type { Handler, RequestContext, ServiceDefinition } from './service.js';
import { readSignature, verifySignature, type Caller, type KeyLookup, type SignedRequest } from './sigv4.js';
import { validateInput, validationMessage } from './validate.js';

// The request pipeline for AWS API calls, as one ordered list of stages:
//   service → sigv4 → scope → operation → decode → validate → dispatch → serialize
// Each stage reads and fills the exchange; a thrown AwsError skips to the
// error serializer of the protocol the request spoke.

export interface Exchange extends SignedRequest {
  requestId: string;
  now: number;
  protocol: 'json' | 'query';
  service?: ServiceDefinition;
  caller?: Caller;
  operationName?: string;
  operation?: Operation;
  handler?: Handler;
  form?: Map<string, string>;
  input?: unknown;
  output?: unknown;
  response?: { status: number; contentType: string; body: string };
}

export interface Services {
  byTargetPrefix: Map<string, ServiceDefinition>;
  bySigningName: Map<string, ServiceDefinition>;
}

export function indexServices(list: ServiceDefinition[]): Services {
  const byTargetPrefix = new Map<string, ServiceDefinition>();
  const bySigningName = new Map<string, ServiceDefinition>();
  for (const s of list) {
    if (s.model.metadata.targetPrefix) byTargetPrefix.set(s.model.metadata.targetPrefix, s);
    bySigningName.set(s.signingName, s);
  }
  return { byTargetPrefix, bySigningName };
}

export type Stage = (ex: Exchange) => void | Promise<void>;

export function awsPipeline(services: Services, keys: KeyLookup): Stage[] {
  return [
    // service: which AWS service and protocol the request speaks.
    (ex) => {
      const target = ex.headers['x-amz-target'];
      if (target !== undefined) {
        ex.protocol = 'json';
        const dot = target.lastIndexOf('.');
        ex.service = services.byTargetPrefix.get(target.slice(0, dot));
        ex.operationName = target.slice(dot + 1);
        return;
      }
      ex.protocol = 'query';
      ex.form = parseForm(ex.body, ex.rawQuery);
      ex.operationName = ex.form.get('Action');
    },
    // sigv4: who signed it.
    (ex) => {
      const sig = readSignature(ex);
      if (!sig) {
        throw new AwsError('MissingAuthenticationTokenException', ex.protocol === 'json' ? 'Missing Authentication Token' : 'Request is missing Authentication Token');
      }
      ex.caller = verifySignature(ex, sig, keys, ex.now);
    },
    // scope: the credential scope names the service for the query protocol; the region scopes every resource.
    (ex) => {
      if (ex.protocol === 'query') ex.service = services.bySigningName.get(ex.caller!.service);
      if (!ex.service) {
        throw new AwsError('UnknownOperationException', ex.protocol === 'json' ? `Unknown operation ${ex.headers['x-amz-target']}` : `berth does not serve the ${ex.caller!.service} service.`);
      }
    },
    // operation: the operation exists in the model, and berth implements it.
    (ex) => {
      const service = ex.service!;
      const op = ex.operationName ? service.model.operations[ex.operationName] : undefined;
      if (!op) {
        if (ex.protocol === 'query') {
          throw new AwsError('InvalidAction', ex.operationName ? `The action ${ex.operationName} is not valid for this web service.` : 'Missing Action', { queryCode: 'InvalidAction' });
        }
        throw new AwsError('UnknownOperationException', `Unknown operation ${ex.headers['x-amz-target']}`);
      }
      ex.operation = op;
      ex.handler = service.handlers[op.name];
      if (!ex.handler) {
        throw new AwsError('NotImplementedException', `berth does not implement ${service.signingName}:${op.name} yet.`);
      }
    },
    // decode: the body, shaped and type-checked by the operation's input.
    (ex) => {
      const service = ex.service!;
      const inputShape = ex.operation!.input?.shape;
      if (ex.protocol === 'json') {
        const raw = parseJsonBody(ex.body);
        if (inputShape) ex.input = decodeJson(service.model, inputShape, raw) ?? {};
        else ex.input = {};
      } else {
        ex.input = inputShape ? decodeQuery(service.model, inputShape, ex.form!) : {};
      }
    },
    // validate: the model's constraints.
    (ex) => {
      const inputShape = ex.operation!.input?.shape;
      if (!inputShape) return;
      const errors = validateInput(ex.service!.model, inputShape, ex.input);
      if (errors.length) throw new AwsError(ex.service!.validationErrorCode, validationMessage(errors), { queryCode: ex.service!.validationErrorCode });
    },
    // dispatch: the handler.
    async (ex) => {
      const ctx: RequestContext = { requestId: ex.requestId, caller: ex.caller!, now: ex.now };
      ex.output = await ex.handler!(ex.input, ctx);
    },
    // serialize: the output, by the protocol.
    (ex) => {
      const service = ex.service!;
      const op = ex.operation!;
      if (ex.protocol === 'json') {
        const body = op.output ? encodeJson(service.model, op.output.shape, ex.output ?? {}) : {};
        ex.response = { status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(body ?? {}) };
      } else {
        const body = queryResponseXml(service.model, op.name, op.output?.shape, op.output?.resultWrapper, ex.output, ex.requestId);
        ex.response = { status: 200, contentType: 'text/xml', body };
      }
    },
  ];
}

export function errorResponse(ex: Exchange, error: AwsError): { status: number; contentType: string; body: string } {
  if (ex.protocol === 'query') {
    return { status: error.status, contentType: 'text/xml', body: queryErrorXml(error, ex.requestId, ex.service?.model.metadata.xmlNamespace) };
  }
  return { status: error.status, contentType: 'application/x-amz-json-1.1', body: jsonErrorBody(error) };
}
