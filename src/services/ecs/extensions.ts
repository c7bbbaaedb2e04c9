import type { ModelExtension } from '../../gateway/model/load.js';

// What berth adds to the published ECS model.
//
// The agent: the ECS agent tells health and stop codes over a private
// channel; berth's agent sends them as extra members of
// SubmitTaskStateChange, which AWS clients never set.
//
// Two operations of berth's own, for `berth usage` and `berth fargate
// interrupt` (AWS has neither: Fargate usage is in Cost Explorer, and Spot
// interruptions are AWS's to make). They travel as any json-1.1 ECS call
// (X-Amz-Target AmazonEC2ContainerServiceV20141113.<name>).

const op = (name: string, errors: string[]) => ({
  name,
  http: { method: 'POST', requestUri: '/' },
  input: { shape: `${name}Request` },
  output: { shape: `${name}Response` },
  errors: errors.map((shape) => ({ shape })),
});

export const ecsExtensions: ModelExtension = {
  shapes: {
    BerthHealthStatus: { type: 'string', enum: ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'] },
    ContainerStateChange: { members: { healthStatus: { shape: 'BerthHealthStatus' } } },
    SubmitTaskStateChangeRequest: { members: { stopCode: { shape: 'TaskStopCode' }, healthStatus: { shape: 'BerthHealthStatus' } } },

    BerthGetUsageRequest: {
      type: 'structure',
      members: { cluster: { shape: 'String' }, since: { shape: 'Timestamp' }, includeEc2: { shape: 'BoxedBoolean' } },
    },
    BerthGetUsageResponse: {
      type: 'structure',
      members: { tasks: { shape: 'BerthTaskUsageList' }, since: { shape: 'Timestamp' }, until: { shape: 'Timestamp' } },
    },
    BerthTaskUsageList: { type: 'list', member: { shape: 'BerthTaskUsage' } },
    BerthTaskUsage: {
      type: 'structure',
      members: {
        taskArn: { shape: 'String' },
        clusterArn: { shape: 'String' },
        serviceName: { shape: 'String' },
        family: { shape: 'String' },
        group: { shape: 'String' },
        launchType: { shape: 'String' },
        capacityProviderName: { shape: 'String' },
        cpu: { shape: 'String' },
        memory: { shape: 'String' },
        ephemeralStorageGiB: { shape: 'Integer' },
        architecture: { shape: 'String' },
        fargate: { shape: 'Boolean' },
        spot: { shape: 'Boolean' },
        start: { shape: 'Timestamp' },
        end: { shape: 'Timestamp' },
        running: { shape: 'Boolean' },
        seconds: { shape: 'Double' },
        billedSeconds: { shape: 'Long' },
        vcpuSeconds: { shape: 'Double' },
        gbSeconds: { shape: 'Double' },
        extraStorageGbSeconds: { shape: 'Double' },
      },
    },
    BerthInterruptSpotTasksRequest: {
      type: 'structure',
      required: ['cluster'],
      members: { cluster: { shape: 'String' }, count: { shape: 'BoxedInteger' }, percent: { shape: 'BoxedInteger' } },
    },
    BerthInterruptSpotTasksResponse: { type: 'structure', members: { tasks: { shape: 'Tasks' } } },

    // Managed scaling's ranges are ECS's own checks, with its own messages
    // ("The specified minimum scaling step size is invalid.", a ClientException):
    // src/control/capacity-providers.ts makes them, not the model's validation.
    ManagedScalingTargetCapacity: { type: 'integer', min: undefined, max: undefined },
    ManagedScalingStepSize: { type: 'integer', min: undefined, max: undefined },
    ManagedScalingInstanceWarmupPeriod: { type: 'integer', min: undefined, max: undefined },
  },
  operations: {
    BerthGetUsage: op('BerthGetUsage', ['ServerException', 'ClientException', 'InvalidParameterException', 'ClusterNotFoundException']),
    BerthInterruptSpotTasks: op('BerthInterruptSpotTasks', ['ServerException', 'ClientException', 'InvalidParameterException', 'ClusterNotFoundException']),
  },
};
