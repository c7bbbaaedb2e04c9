// Log field names of the awslogs shipper (beside the engine's AGENT_LOG).
export const AWSLOGS_LOG = {
  group: 'logGroup',
  stream: 'logStream',
  options: 'options',
  dropped: 'dropped',
  shipped: 'shipped',
  attempts: 'attempts',
  rejected: 'rejected',
  maxBufferSize: 'maxBufferSize',
  waitedMs: 'waitedMs',
} as const;
