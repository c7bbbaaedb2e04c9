import { CapacityProviders } from '../../control/capacity-providers.js';
import type * as ecs from '@aws-sdk/client-ecs';
import type { AccountSettings } from '../../control/account-settings.js';
import { parseArn, type Scope } from '../../control/arns.js';
import type { Clusters } from '../../control/clusters.js';
import type { Services } from '../../control/services.js';
import type { ContainerInstances } from '../../control/container-instances.js';
import { addTags, listTags, removeTags } from '../../control/tags.js';
import { readUsage, usageRowOnWire } from '../../control/usage.js';
import type { TaskDefinitions } from '../../control/task-definitions.js';
import type { Tasks } from '../../control/tasks.js';
import { AwsError } from '../../gateway/errors.js';
import { extendModel, loadServiceModel } from '../../gateway/model/load.js';
import { ecsExtensions } from './extensions.js';
import type { RequestContext, ServiceDefinition } from '../../gateway/service.js';

// Amazon ECS operation handlers: each reads its typed input, calls the
// control core and returns the output shape. Nothing else lives here.

export interface EcsDeps {
  clusters: Clusters;
  taskDefinitions: TaskDefinitions;
  accountSettings: AccountSettings;
  /** Container instances and tasks; their operations answer as unimplemented until they are wired. */
  containerInstances?: ContainerInstances;
  tasks?: Tasks;
  /** Services; their operations answer as unimplemented until they are wired. */
  services?: Services;
  /** EC2 capacity providers (FARGATE and FARGATE_SPOT are always there); default: over the clusters' store. */
  capacityProviders?: CapacityProviders;
}

const scopeOf = (ctx: RequestContext): Scope => ({ accountId: ctx.caller.accountId, region: ctx.caller.region });

export function ecsService(d: EcsDeps): ServiceDefinition {
  const capacityProviders = d.capacityProviders ?? new CapacityProviders(d.clusters.store);
  /** Checks that a taggable resource exists in the caller's scope. */
  async function taggable(scope: Scope, arn: string): Promise<void> {
    const parsed = parseArn(arn);
    if (!parsed || parsed.service !== 'ecs') throw new AwsError('InvalidParameterException', `'${arn}' is not a valid Amazon ECS resource ARN.`);
    if (parsed.region !== scope.region || parsed.accountId !== scope.accountId) {
      throw new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
    }
    if (parsed.resourceType === 'cluster') {
      if (!(await d.clusters.exists(scope, arn))) throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
      return;
    }
    if (parsed.resourceType === 'task-definition') {
      if (!(await d.taskDefinitions.exists(scope, arn))) throw new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
      return;
    }
    if (parsed.resourceType === 'container-instance' && d.containerInstances) {
      if (!(await d.containerInstances.exists(scope, arn))) throw new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
      return;
    }
    if (parsed.resourceType === 'service' && d.services) {
      if (!(await d.services.exists(scope, arn))) throw new AwsError('ServiceNotFoundException', 'Service not found.');
      return;
    }
    if (parsed.resourceType === 'capacity-provider') {
      if (!(await capacityProviders.exists(scope, arn))) throw new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
      return;
    }
    if (parsed.resourceType === 'task' && d.tasks) {
      if (!(await d.tasks.exists(scope, arn))) throw new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
      return;
    }
    throw new AwsError('ResourceNotFoundException', 'The specified resource could not be found.');
  }

  const ci = d.containerInstances;
  const tasks = d.tasks;
  const instanceHandlers: ServiceDefinition['handlers'] = ci
    ? {
        RegisterContainerInstance: async (i: ecs.RegisterContainerInstanceCommandInput, ctx) => ({ containerInstance: await ci.register(scopeOf(ctx), i, ctx.now) }),
        DeregisterContainerInstance: async (i: ecs.DeregisterContainerInstanceCommandInput, ctx) => ({
          containerInstance: await ci.deregister(scopeOf(ctx), i, ctx.now),
        }),
        DescribeContainerInstances: (i: ecs.DescribeContainerInstancesCommandInput, ctx) => ci.describe(scopeOf(ctx), i),
        ListContainerInstances: (i: ecs.ListContainerInstancesCommandInput, ctx) => ci.list(scopeOf(ctx), i),
        UpdateContainerInstancesState: (i: ecs.UpdateContainerInstancesStateCommandInput, ctx) => ci.updateState(scopeOf(ctx), i),
        UpdateContainerAgent: (i: ecs.UpdateContainerAgentCommandInput, ctx) => ci.updateAgent(scopeOf(ctx), i),
        PutAttributes: (i: ecs.PutAttributesCommandInput, ctx) => ci.putAttributes(scopeOf(ctx), i),
        DeleteAttributes: (i: ecs.DeleteAttributesCommandInput, ctx) => ci.deleteAttributes(scopeOf(ctx), i),
        ListAttributes: (i: ecs.ListAttributesCommandInput, ctx) => ci.listAttributes(scopeOf(ctx), i),
      }
    : {};
  const taskHandlers: ServiceDefinition['handlers'] = tasks
    ? {
        RunTask: (i: ecs.RunTaskCommandInput, ctx) => tasks.run(scopeOf(ctx), i, ctx.now),
        StartTask: (i: ecs.StartTaskCommandInput, ctx) => tasks.start(scopeOf(ctx), i, ctx.now),
        StopTask: async (i: ecs.StopTaskCommandInput, ctx) => ({ task: await tasks.stop(scopeOf(ctx), i, ctx.now) }),
        DescribeTasks: (i: ecs.DescribeTasksCommandInput, ctx) => tasks.describe(scopeOf(ctx), i),
        ListTasks: async (i: ecs.ListTasksCommandInput, ctx) => {
          if (i.serviceName !== undefined && d.services) await d.services.requireExists(scopeOf(ctx), i.cluster, i.serviceName);
          return tasks.list(scopeOf(ctx), i);
        },
        // The agents' reports; berth's own members (health, stop codes) are in extensions.ts.
        SubmitTaskStateChange: (i: Parameters<Tasks['submitTaskStateChange']>[1], ctx) => tasks.submitTaskStateChange(scopeOf(ctx), i, ctx.now),
        SubmitContainerStateChange: (i: ecs.SubmitContainerStateChangeCommandInput, ctx) => tasks.submitContainerStateChange(scopeOf(ctx), i, ctx.now),
        SubmitAttachmentStateChanges: (i: ecs.SubmitAttachmentStateChangesCommandInput, ctx) => tasks.submitAttachmentStateChanges(scopeOf(ctx), i, ctx.now),

        // berth's own operations (extensions.ts): `berth usage` and `berth fargate interrupt`.
        BerthGetUsage: async (i: { cluster?: string; since?: Date; includeEc2?: boolean }, ctx) => {
          const since = i.since?.getTime();
          if (since !== undefined && !Number.isFinite(since)) throw new AwsError('InvalidParameterException', 'since is not a valid timestamp.');
          if (since !== undefined && since > ctx.now) throw new AwsError('InvalidParameterException', `since (${new Date(since).toISOString()}) is in the future.`);
          const clusterArn = i.cluster === undefined ? undefined : (await d.clusters.resolve(scopeOf(ctx), i.cluster)).arn;
          const rows = await readUsage(d.clusters.store.db, scopeOf(ctx), { clusterArn, since, now: ctx.now, includeEc2: i.includeEc2 });
          return { tasks: rows.map(usageRowOnWire), since: i.since, until: new Date(ctx.now) };
        },
        BerthInterruptSpotTasks: async (i: { cluster: string; count?: number; percent?: number }, ctx) => {
          if ((i.count === undefined) === (i.percent === undefined)) throw new AwsError('InvalidParameterException', 'Give exactly one of count and percent.');
          if (i.count !== undefined && i.count < 1) throw new AwsError('InvalidParameterException', `count must be at least 1; got ${i.count}.`);
          if (i.percent !== undefined && (i.percent < 1 || i.percent > 100)) throw new AwsError('InvalidParameterException', `percent must be from 1 to 100; got ${i.percent}.`);
          return { tasks: await tasks.interruptSpot(scopeOf(ctx), { cluster: i.cluster, count: i.count, percent: i.percent }, ctx.now) };
        },
      }
    : {};

  const services = d.services;
  const serviceHandlers: ServiceDefinition['handlers'] = services
    ? {
        CreateService: async (i: ecs.CreateServiceCommandInput, ctx) => ({ service: await services.create(scopeOf(ctx), i, ctx.now) }),
        UpdateService: async (i: ecs.UpdateServiceCommandInput, ctx) => ({ service: await services.update(scopeOf(ctx), i, ctx.now) }),
        DeleteService: async (i: ecs.DeleteServiceCommandInput, ctx) => ({ service: await services.delete(scopeOf(ctx), i, ctx.now) }),
        DescribeServices: (i: ecs.DescribeServicesCommandInput, ctx) => services.describe(scopeOf(ctx), i),
        ListServices: (i: ecs.ListServicesCommandInput, ctx) => services.list(scopeOf(ctx), i),
        ListServicesByNamespace: (i: ecs.ListServicesByNamespaceCommandInput, ctx) => services.listByNamespace(scopeOf(ctx), i),
        ListServiceDeployments: (i: ecs.ListServiceDeploymentsCommandInput, ctx) => services.listDeployments(scopeOf(ctx), i),
        DescribeServiceDeployments: (i: ecs.DescribeServiceDeploymentsCommandInput, ctx) => services.describeDeployments(scopeOf(ctx), i.serviceDeploymentArns ?? []),
        DescribeServiceRevisions: (i: ecs.DescribeServiceRevisionsCommandInput, ctx) => services.describeRevisions(scopeOf(ctx), i.serviceRevisionArns ?? []),
      }
    : {};

  return {
    name: 'ecs',
    signingName: 'ecs',
    model: extendModel(loadServiceModel('ecs'), ecsExtensions),
    protocol: 'json',
    validationErrorCode: 'InvalidParameterException',
    handlers: {
      // clusters
      CreateCluster: async (i: ecs.CreateClusterCommandInput, ctx) => ({ cluster: await d.clusters.create(scopeOf(ctx), i, ctx.now) }),
      DescribeClusters: (i: ecs.DescribeClustersCommandInput, ctx) => d.clusters.describe(scopeOf(ctx), i.clusters, i.include),
      ListClusters: (i: ecs.ListClustersCommandInput, ctx) => d.clusters.list(scopeOf(ctx), i.nextToken, i.maxResults),
      UpdateCluster: async (i: ecs.UpdateClusterCommandInput, ctx) => ({ cluster: await d.clusters.update(scopeOf(ctx), i as typeof i & { cluster: string }) }),
      UpdateClusterSettings: async (i: ecs.UpdateClusterSettingsCommandInput, ctx) => ({
        cluster: await d.clusters.updateSettings(scopeOf(ctx), i.cluster!, i.settings ?? []),
      }),
      DeleteCluster: async (i: ecs.DeleteClusterCommandInput, ctx) => ({ cluster: await d.clusters.delete(scopeOf(ctx), i.cluster!) }),
      PutClusterCapacityProviders: async (i: ecs.PutClusterCapacityProvidersCommandInput, ctx) => ({
        cluster: await d.clusters.putCapacityProviders(scopeOf(ctx), { cluster: i.cluster!, capacityProviders: i.capacityProviders!, defaultCapacityProviderStrategy: i.defaultCapacityProviderStrategy! }),
      }),
      DescribeCapacityProviders: (i: ecs.DescribeCapacityProvidersCommandInput, ctx) => capacityProviders.describe(scopeOf(ctx), i),
      CreateCapacityProvider: async (i: ecs.CreateCapacityProviderCommandInput, ctx) => ({ capacityProvider: await capacityProviders.create(scopeOf(ctx), i, ctx.now) }),
      UpdateCapacityProvider: async (i: ecs.UpdateCapacityProviderCommandInput, ctx) => ({ capacityProvider: await capacityProviders.update(scopeOf(ctx), i) }),
      DeleteCapacityProvider: async (i: ecs.DeleteCapacityProviderCommandInput, ctx) => ({ capacityProvider: await capacityProviders.delete(scopeOf(ctx), i) }),

      // task definitions
      RegisterTaskDefinition: (i: ecs.RegisterTaskDefinitionCommandInput, ctx) => d.taskDefinitions.register(scopeOf(ctx), i, ctx.now),
      DescribeTaskDefinition: (i: ecs.DescribeTaskDefinitionCommandInput, ctx) => d.taskDefinitions.describe(scopeOf(ctx), i.taskDefinition!, i.include),
      ListTaskDefinitions: (i: ecs.ListTaskDefinitionsCommandInput, ctx) => d.taskDefinitions.list(scopeOf(ctx), i),
      ListTaskDefinitionFamilies: (i: ecs.ListTaskDefinitionFamiliesCommandInput, ctx) => d.taskDefinitions.families(scopeOf(ctx), i),
      DeregisterTaskDefinition: async (i: ecs.DeregisterTaskDefinitionCommandInput, ctx) => ({
        taskDefinition: await d.taskDefinitions.deregister(scopeOf(ctx), i.taskDefinition!, ctx.now),
      }),
      DeleteTaskDefinitions: (i: ecs.DeleteTaskDefinitionsCommandInput, ctx) => d.taskDefinitions.delete(scopeOf(ctx), i.taskDefinitions ?? []),

      // tags
      TagResource: async (i: ecs.TagResourceCommandInput, ctx) => {
        await taggable(scopeOf(ctx), i.resourceArn!);
        await d.clusters.store.transaction((tx) => addTags(tx, i.resourceArn!, i.tags));
        return {};
      },
      UntagResource: async (i: ecs.UntagResourceCommandInput, ctx) => {
        await taggable(scopeOf(ctx), i.resourceArn!);
        await d.clusters.store.transaction((tx) => removeTags(tx, i.resourceArn!, i.tagKeys ?? []));
        return {};
      },
      ListTagsForResource: async (i: ecs.ListTagsForResourceCommandInput, ctx) => {
        await taggable(scopeOf(ctx), i.resourceArn!);
        return { tags: await listTags(d.clusters.store.db, i.resourceArn!) };
      },

      // account settings
      PutAccountSetting: async (i: ecs.PutAccountSettingCommandInput, ctx) => ({
        setting: await d.accountSettings.put(scopeOf(ctx), i.name!, i.value!, i.principalArn),
      }),
      PutAccountSettingDefault: async (i: ecs.PutAccountSettingDefaultCommandInput, ctx) => ({
        setting: await d.accountSettings.putDefault(scopeOf(ctx), i.name!, i.value!),
      }),
      DeleteAccountSetting: async (i: ecs.DeleteAccountSettingCommandInput, ctx) => ({
        setting: await d.accountSettings.delete(scopeOf(ctx), i.name!, i.principalArn),
      }),
      ListAccountSettings: (i: ecs.ListAccountSettingsCommandInput, ctx) => d.accountSettings.list(scopeOf(ctx), i),

      ...instanceHandlers,
      ...taskHandlers,
      ...serviceHandlers,
    },
  };
}
