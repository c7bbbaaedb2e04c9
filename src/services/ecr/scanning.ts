import type * as ecr from '@aws-sdk/client-ecr';
import { AwsError } from '../../gateway/errors.js';
import type { RequestContext, ServiceDefinition } from '../../gateway/service.js';
import { imageNotFound } from '../../registry/images.js';
import { wildcardMatches } from '../../registry/names.js';
import type { Registry } from '../../registry/registry.js';
import { checkRegistryId, type RegistrySettings, type RepositoryRecord } from '../../registry/repositories.js';
import type { Scans } from '../../registry/scans.js';
import { scopeOf } from './index.js';

// ECR's image scanning operations (basic scanning), and scan on push.


/** Whether a push to `repo` is scanned: the repository's scanOnPush, or a registry SCAN_ON_PUSH rule whose filter matches. */
export function scansOnPush(repo: RepositoryRecord, settings: RegistrySettings): boolean {
  if (repo.scanOnPush) return true;
  return (settings.scanning?.rules ?? []).some(
    (rule) => rule.scanFrequency === 'SCAN_ON_PUSH' && (rule.repositoryFilters ?? []).some((f) => wildcardMatches(f.filter ?? '', repo.name)),
  );
}

export function scanningHandlers(registry: Registry, scans: Scans): ServiceDefinition['handlers'] {
  const resolve = async (ctx: RequestContext, i: { registryId?: string; repositoryName?: string; imageId?: ecr.ImageIdentifier }) => {
    checkRegistryId(scopeOf(ctx), i.registryId);
    const repo = await registry.repositories.get(scopeOf(ctx), i.repositoryName!);
    const id = i.imageId ?? {};
    if (id.imageDigest === undefined && id.imageTag === undefined) throw new AwsError('InvalidParameterException', 'imageId must name an imageDigest or an imageTag.');
    const digest = await registry.images.resolve(repo, id.imageDigest ?? id.imageTag!);
    if (!digest || (id.imageTag !== undefined && id.imageDigest !== undefined && (await registry.images.resolve(repo, id.imageTag)) !== id.imageDigest)) {
      throw imageNotFound(scopeOf(ctx), repo.name, id);
    }
    return { repo, digest, tag: id.imageTag };
  };
  return {
    StartImageScan: async (i: ecr.StartImageScanRequest, ctx) => {
      const { repo, digest, tag } = await resolve(ctx, i);
      const imageScanStatus = await scans.start(repo, digest, ctx.now);
      return { registryId: repo.accountId, repositoryName: repo.name, imageId: { imageDigest: digest, imageTag: tag }, imageScanStatus };
    },
    DescribeImageScanFindings: async (i: ecr.DescribeImageScanFindingsRequest, ctx) => {
      const { repo, digest, tag } = await resolve(ctx, i);
      return scans.findings(scopeOf(ctx), repo, digest, tag, i);
    },
    PutRegistryScanningConfiguration: async (i: ecr.PutRegistryScanningConfigurationRequest, ctx) => {
      if (i.scanType === 'ENHANCED') {
        throw new AwsError('ValidationException', 'berth offers basic scanning only; set scanType BASIC (enhanced scanning is Amazon Inspector, which berth does not run).');
      }
      for (const rule of i.rules ?? []) {
        if (rule.scanFrequency === 'CONTINUOUS_SCAN') throw new AwsError('ValidationException', 'CONTINUOUS_SCAN needs enhanced scanning; with BASIC scanning use SCAN_ON_PUSH or MANUAL.');
      }
      const scanning: ecr.RegistryScanningConfiguration = { scanType: i.scanType ?? 'BASIC', rules: i.rules ?? [] };
      await registry.repositories.updateRegistrySettings(scopeOf(ctx), (s) => ({ ...s, scanning }));
      return { registryScanningConfiguration: scanning };
    },
    GetRegistryScanningConfiguration: async (_i: ecr.GetRegistryScanningConfigurationRequest, ctx) => {
      const settings = await registry.repositories.registrySettings(scopeOf(ctx));
      return { registryId: ctx.caller.accountId, scanningConfiguration: settings.scanning ?? { scanType: 'BASIC', rules: [] } };
    },
  };
}
