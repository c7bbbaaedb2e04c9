import type * as ecr from '@aws-sdk/client-ecr';
import type { Scope } from '../../control/arns.js';
import { parseArn } from '../../control/arns.js';
import { AwsError } from '../../gateway/errors.js';
import { loadServiceModel } from '../../gateway/model/load.js';
import type { RequestContext, ServiceDefinition } from '../../gateway/service.js';
import type { KeyLookup } from '../../gateway/sigv4.js';
import { issueRegistryPassword, TOKEN_USER } from '../../registry/auth-token.js';
import type { ImageViews } from '../../registry/image-views.js';
import type { LayerUploads } from '../../registry/layer-uploads.js';
import { checkPolicy } from '../../registry/policy.js';
import type { Registry } from '../../registry/registry.js';
import { checkEcrTags, checkRegistryId, keyOf, policyNotFound, repositoryArn, setEcrTags } from '../../registry/repositories.js';
import { removeTags } from '../../control/tags.js';
import type { Store } from '../../store/store.js';
import { DOWNLOAD_TOKEN_PARAM } from '../oci/auth.js';

// Amazon ECR API operation handlers: thin, over the registry core that the
// /v2/ API shares.

export interface EcrDeps {
  store: Store;
  registry: Registry;
  images: ImageViews;
  layers: LayerUploads;
  keys: KeyLookup;
  /** Handlers that other parts supply (lifecycle policies, scanning). */
  extra?: ServiceDefinition['handlers'];
}

export const scopeOf = (ctx: RequestContext): Scope => ({ accountId: ctx.caller.accountId, region: ctx.caller.region });

export function ecrService(d: EcrDeps): ServiceDefinition {
  const repos = d.registry.repositories;
  /** The repository an image or layer operation names, after the registryId check. */
  const repoOf = async (ctx: RequestContext, i: { registryId?: string; repositoryName?: string }) => {
    checkRegistryId(scopeOf(ctx), i.registryId);
    return repos.get(scopeOf(ctx), i.repositoryName!);
  };
  /** The repository a resource ARN names (tagging). */
  const repoByArn = async (ctx: RequestContext, arn: string) => {
    const parsed = parseArn(arn);
    const scope = scopeOf(ctx);
    if (!parsed || parsed.service !== 'ecr' || parsed.resourceType !== 'repository') throw new AwsError('InvalidParameterException', `Invalid parameter at 'resourceArn' failed to satisfy constraint: '${arn}' is not an Amazon ECR repository ARN.`);
    if (parsed.accountId !== scope.accountId || parsed.region !== scope.region || arn !== repositoryArn(scope, parsed.resource)) {
      throw new AwsError('RepositoryNotFoundException', `The repository with name '${parsed.resource}' does not exist in the registry with id '${parsed.accountId}'`);
    }
    return repos.get(scope, parsed.resource);
  };

  return {
    name: 'ecr',
    signingName: 'ecr',
    model: loadServiceModel('ecr'),
    protocol: 'json',
    validationErrorCode: 'InvalidParameterException',
    handlers: {
      GetAuthorizationToken: (_i: ecr.GetAuthorizationTokenRequest, ctx) => {
        const key = d.keys(ctx.caller.accessKeyId)!;
        const { password, expiresAt } = issueRegistryPassword(ctx.caller, key.secretAccessKey, ctx.now);
        return {
          authorizationData: [
            {
              authorizationToken: Buffer.from(`${TOKEN_USER}:${password}`).toString('base64'),
              expiresAt: new Date(expiresAt),
              proxyEndpoint: `http://${repos.registryHost}`,
            },
          ],
        };
      },

      // repositories
      CreateRepository: async (i: ecr.CreateRepositoryRequest, ctx) => ({ repository: repos.view(await repos.create(scopeOf(ctx), i, ctx.now)) }),
      DescribeRepositories: (i: ecr.DescribeRepositoriesRequest, ctx) => repos.describe(scopeOf(ctx), i),
      DeleteRepository: async (i: ecr.DeleteRepositoryRequest, ctx) => {
        checkRegistryId(scopeOf(ctx), i.registryId);
        const repo = await repos.delete(scopeOf(ctx), i.repositoryName!, i.force ?? false);
        await d.registry.blobs.removeRepository(keyOf(repo));
        return { repository: repos.view(repo) };
      },
      PutImageTagMutability: async (i: ecr.PutImageTagMutabilityRequest, ctx) => {
        await repoOf(ctx, i);
        const repo = await repos.setMutability(scopeOf(ctx), i.repositoryName!, i.imageTagMutability!, i.imageTagMutabilityExclusionFilters);
        return {
          registryId: repo.accountId,
          repositoryName: repo.name,
          imageTagMutability: repo.imageTagMutability,
          imageTagMutabilityExclusionFilters: repo.exclusionFilters,
        };
      },
      PutImageScanningConfiguration: async (i: ecr.PutImageScanningConfigurationRequest, ctx) => {
        await repoOf(ctx, i);
        const repo = await repos.setScanOnPush(scopeOf(ctx), i.repositoryName!, i.imageScanningConfiguration?.scanOnPush ?? false);
        return { registryId: repo.accountId, repositoryName: repo.name, imageScanningConfiguration: { scanOnPush: repo.scanOnPush } };
      },
      SetRepositoryPolicy: async (i: ecr.SetRepositoryPolicyRequest, ctx) => {
        await repoOf(ctx, i);
        const repo = await repos.setPolicy(scopeOf(ctx), i.repositoryName!, i.policyText!);
        return { registryId: repo.accountId, repositoryName: repo.name, policyText: repo.policyText };
      },
      GetRepositoryPolicy: async (i: ecr.GetRepositoryPolicyRequest, ctx) => {
        const repo = await repoOf(ctx, i);
        if (repo.policyText === undefined) throw policyNotFound(scopeOf(ctx), repo.name);
        return { registryId: repo.accountId, repositoryName: repo.name, policyText: repo.policyText };
      },
      DeleteRepositoryPolicy: async (i: ecr.DeleteRepositoryPolicyRequest, ctx) => {
        const repo = await repoOf(ctx, i);
        const policyText = await repos.deletePolicy(scopeOf(ctx), repo.name);
        return { registryId: repo.accountId, repositoryName: repo.name, policyText };
      },

      // images
      ListImages: async (i: ecr.ListImagesRequest, ctx) => d.images.list(await repoOf(ctx, i), i),
      DescribeImages: async (i: ecr.DescribeImagesRequest, ctx) => d.images.describe(scopeOf(ctx), await repoOf(ctx, i), i),
      BatchGetImage: async (i: ecr.BatchGetImageRequest, ctx) => d.images.batchGet(scopeOf(ctx), await repoOf(ctx, i), i, ctx.now),
      BatchDeleteImage: async (i: ecr.BatchDeleteImageRequest, ctx) => d.images.batchDelete(await repoOf(ctx, i), i),
      PutImage: async (i: ecr.PutImageRequest, ctx) => {
        const repo = await repoOf(ctx, i);
        const bytes = Buffer.from(i.imageManifest!, 'utf8');
        const result = await d.registry.images.putManifest(repo, bytes, {
          mediaType: i.imageManifestMediaType,
          tag: i.imageTag,
          expectedDigest: i.imageDigest,
          now: ctx.now,
        });
        if (!result.changed) {
          throw new AwsError(
            'ImageAlreadyExistsException',
            `Image with digest '${result.digest}' ${i.imageTag !== undefined ? `and tag '${i.imageTag}' ` : ''}already exists in the repository with name '${repo.name}' in registry with id '${repo.accountId}'`,
          );
        }
        if (result.created) d.registry.pushed({ repo, digest: result.digest, manifest: result.manifest, now: ctx.now });
        return {
          image: {
            registryId: repo.accountId,
            repositoryName: repo.name,
            imageId: { imageDigest: result.digest, imageTag: i.imageTag },
            imageManifest: i.imageManifest,
            imageManifestMediaType: result.mediaType,
          },
        };
      },

      // layers
      BatchCheckLayerAvailability: async (i: ecr.BatchCheckLayerAvailabilityRequest, ctx) => d.layers.check(await repoOf(ctx, i), i.layerDigests ?? []),
      InitiateLayerUpload: async (i: ecr.InitiateLayerUploadRequest, ctx) => d.layers.initiate(await repoOf(ctx, i), ctx.now),
      UploadLayerPart: async (i: ecr.UploadLayerPartRequest, ctx) => d.layers.part(scopeOf(ctx), await repoOf(ctx, i), i),
      CompleteLayerUpload: async (i: ecr.CompleteLayerUploadRequest, ctx) => d.layers.complete(scopeOf(ctx), await repoOf(ctx, i), i, ctx.now),
      GetDownloadUrlForLayer: async (i: ecr.GetDownloadUrlForLayerRequest, ctx) => {
        const repo = await repoOf(ctx, i);
        if ((await d.registry.blobs.sizeIn(keyOf(repo), i.layerDigest!)) === undefined) {
          throw new AwsError('LayersNotFoundException', `The layer '${i.layerDigest}' does not exist in the repository with name '${repo.name}' in the registry with id '${repo.accountId}'.`);
        }
        const key = d.keys(ctx.caller.accessKeyId)!;
        const { password } = issueRegistryPassword(ctx.caller, key.secretAccessKey, ctx.now, { repository: repo.name, digest: i.layerDigest! });
        return {
          downloadUrl: `http://${repos.registryHost}/v2/${repo.name}/blobs/${i.layerDigest}?${DOWNLOAD_TOKEN_PARAM}=${encodeURIComponent(password)}`,
          layerDigest: i.layerDigest,
        };
      },

      // tags
      TagResource: async (i: ecr.TagResourceRequest, ctx) => {
        const repo = await repoByArn(ctx, i.resourceArn!);
        checkEcrTags(i.tags);
        await d.store.transaction((tx) => setEcrTags(tx, repo.arn, i.tags));
        return {};
      },
      UntagResource: async (i: ecr.UntagResourceRequest, ctx) => {
        const repo = await repoByArn(ctx, i.resourceArn!);
        await d.store.transaction((tx) => removeTags(tx, repo.arn, i.tagKeys ?? []));
        return {};
      },
      ListTagsForResource: async (i: ecr.ListTagsForResourceRequest, ctx) => ({ tags: await repos.tags((await repoByArn(ctx, i.resourceArn!)).arn) }),

      // the registry
      DescribeRegistry: (_i: ecr.DescribeRegistryRequest, ctx) => ({ registryId: ctx.caller.accountId, replicationConfiguration: { rules: [] } }),
      PutRegistryPolicy: async (i: ecr.PutRegistryPolicyRequest, ctx) => {
        checkPolicy(i.policyText!, 'policyText');
        await repos.updateRegistrySettings(scopeOf(ctx), (s) => ({ ...s, policyText: i.policyText }));
        return { registryId: ctx.caller.accountId, policyText: i.policyText };
      },
      GetRegistryPolicy: async (_i: ecr.GetRegistryPolicyRequest, ctx) => {
        const settings = await repos.registrySettings(scopeOf(ctx));
        if (settings.policyText === undefined) throw new AwsError('RegistryPolicyNotFoundException', `Registry policy does not exist in the registry with id '${ctx.caller.accountId}'`);
        return { registryId: ctx.caller.accountId, policyText: settings.policyText };
      },
      DeleteRegistryPolicy: async (_i: ecr.DeleteRegistryPolicyRequest, ctx) => {
        const settings = await repos.registrySettings(scopeOf(ctx));
        if (settings.policyText === undefined) throw new AwsError('RegistryPolicyNotFoundException', `Registry policy does not exist in the registry with id '${ctx.caller.accountId}'`);
        await repos.updateRegistrySettings(scopeOf(ctx), (s) => ({ ...s, policyText: undefined }));
        return { registryId: ctx.caller.accountId, policyText: settings.policyText };
      },
      ...d.extra,
    },
  };
}
