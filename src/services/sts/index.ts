import { rootPrincipalArn } from '../../control/arns.js';
import { loadServiceModel } from '../../gateway/model/load.js';
import type { ServiceDefinition } from '../../gateway/service.js';

// AWS STS over the query protocol: GetCallerIdentity tells a client which
// account its key belongs to (and is how tools check their credentials).

export function stsService(): ServiceDefinition {
  return {
    name: 'sts',
    signingName: 'sts',
    model: loadServiceModel('sts'),
    protocol: 'query',
    validationErrorCode: 'ValidationError',
    handlers: {
      GetCallerIdentity: (_input, ctx) => ({
        UserId: ctx.caller.accountId,
        Account: ctx.caller.accountId,
        Arn: rootPrincipalArn(ctx.caller.accountId),
      }),
    },
  };
}
