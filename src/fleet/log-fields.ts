// Log field names of the instance pool and managed scaling (one name per thing, as src/log.ts).
export const FLEET_LOG = {
  capacityProvider: 'capacityProvider',
  cluster: 'cluster',
  poolInstance: 'poolInstance',
  containerInstance: 'containerInstance',
  reservation: 'capacityProviderReservation',
  needed: 'instancesNeeded',
  inGroup: 'instancesInGroup',
  desired: 'desiredInstances',
  waiting: 'waitingTasks',
  unplaceable: 'unplaceableTasks',
  action: 'scalingAction',
  count: 'count',
  reason: 'reason',
} as const;
