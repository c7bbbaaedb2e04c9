import type { ModelExtension } from '../../gateway/model/load.js';

// What berth's agent reports beyond the published ECS model. The ECS agent
// tells health and stop codes over a private channel; berth's agent sends
// them as extra members of SubmitTaskStateChange, which AWS clients never set.

export const ecsExtensions: ModelExtension = {
  shapes: {
    BerthHealthStatus: { type: 'string', enum: ['HEALTHY', 'UNHEALTHY', 'UNKNOWN'] },
    ContainerStateChange: { members: { healthStatus: { shape: 'BerthHealthStatus' } } },
    SubmitTaskStateChangeRequest: { members: { stopCode: { shape: 'TaskStopCode' }, healthStatus: { shape: 'BerthHealthStatus' } } },
  },
};
