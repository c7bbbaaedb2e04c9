// Log field names of the agent's task engine: every line names the same thing the same way.
export const AGENT_LOG = {
  taskArn: 'taskArn',
  container: 'container',
  runtimeId: 'runtimeId',
  status: 'status',
  step: 'step',
  image: 'image',
  error: 'error',
  reason: 'reason',
  line: 'line',
  count: 'count',
} as const;
