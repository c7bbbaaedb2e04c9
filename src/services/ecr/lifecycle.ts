import type * as ecr from '@aws-sdk/client-ecr';
import type { RequestContext, ServiceDefinition } from '../../gateway/service.js';
import type { LifecyclePolicies } from '../../registry/lifecycle-policies.js';
import { checkRegistryId } from '../../registry/repositories.js';
import { scopeOf } from './index.js';

// ECR's lifecycle policy operations.


export function lifecycleHandlers(lifecycle: LifecyclePolicies): ServiceDefinition['handlers'] {
  const scoped = (ctx: RequestContext, registryId: string | undefined) => {
    checkRegistryId(scopeOf(ctx), registryId);
    return scopeOf(ctx);
  };
  return {
    PutLifecyclePolicy: (i: ecr.PutLifecyclePolicyRequest, ctx) => lifecycle.put(scoped(ctx, i.registryId), i.repositoryName!, i.lifecyclePolicyText!, ctx.now),
    GetLifecyclePolicy: (i: ecr.GetLifecyclePolicyRequest, ctx) => lifecycle.get(scoped(ctx, i.registryId), i.repositoryName!),
    DeleteLifecyclePolicy: (i: ecr.DeleteLifecyclePolicyRequest, ctx) => lifecycle.delete(scoped(ctx, i.registryId), i.repositoryName!, ctx.now),
    StartLifecyclePolicyPreview: (i: ecr.StartLifecyclePolicyPreviewRequest, ctx) =>
      lifecycle.startPreview(scoped(ctx, i.registryId), i.repositoryName!, i.lifecyclePolicyText, ctx.now),
    GetLifecyclePolicyPreview: (i: ecr.GetLifecyclePolicyPreviewRequest, ctx) => lifecycle.getPreview(scoped(ctx, i.registryId), i.repositoryName!, i),
  };
}
