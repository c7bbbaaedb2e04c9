// Log field names of the data plane, so every line names the same thing the same way.
export const LB_LOG = {
  listener: 'listenerArn',
  loadBalancer: 'loadBalancerArn',
  targetGroup: 'targetGroupArn',
  target: 'target',
  address: 'address',
  port: 'port',
  protocol: 'protocol',
  state: 'state',
  reason: 'reason',
  code: 'code',
  status: 'status',
  err: 'err',
} as const;
