import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterRecord } from '../../src/control/clusters.js';
import { BOTH_MESSAGE, chooseCapacity, MIXED_MESSAGE, NOT_ASSOCIATED_MESSAGE } from '../../src/control/launch-capacity.js';
import { NO_WEIGHT_DEFAULT_MESSAGE } from '../../src/control/placement/capacity-provider-strategy.js';
import { AwsError } from '../../src/gateway/errors.js';

function cluster(capacityProviders: string[], defaults: { capacityProvider: string; base?: number; weight?: number }[] = []): ClusterRecord {
  return {
    arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/c',
    status: 'ACTIVE',
    version: 1,
    body: { clusterName: 'c', settings: [], capacityProviders, defaultCapacityProviderStrategy: defaults },
  };
}

function refused(fn: () => unknown, message: string | RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AwsError);
    assert.equal(e.code, 'InvalidParameterException');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('a launch type decides alone; neither launch type nor strategy is EC2 unless the cluster has a default strategy', () => {
  assert.deepEqual(chooseCapacity(cluster([]), {}), { launchType: 'EC2' });
  assert.deepEqual(chooseCapacity(cluster(['FARGATE']), { launchType: 'FARGATE' }), { launchType: 'FARGATE' });
  assert.deepEqual(chooseCapacity(cluster(['FARGATE'], [{ capacityProvider: 'FARGATE', weight: 1 }]), { launchType: 'EC2' }), { launchType: 'EC2' });
  assert.deepEqual(chooseCapacity(cluster(['FARGATE', 'FARGATE_SPOT'], [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]), {}), {
    launchType: 'FARGATE',
    strategy: [{ capacityProvider: 'FARGATE_SPOT', base: 0, weight: 1 }],
  });
  refused(() => chooseCapacity(cluster([]), { launchType: 'EXTERNAL' }), /EC2 or FARGATE, not EXTERNAL/);
});

test("a strategy: ECS's checks, association with the cluster, no mix of Fargate and Auto Scaling group providers", () => {
  const c = cluster(['FARGATE', 'FARGATE_SPOT', 'cp1']);
  assert.deepEqual(chooseCapacity(c, { capacityProviderStrategy: [{ capacityProvider: 'cp1', weight: 2 }] }), { launchType: 'EC2', strategy: [{ capacityProvider: 'cp1', base: 0, weight: 2 }] });
  refused(() => chooseCapacity(c, { launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }), BOTH_MESSAGE);
  refused(() => chooseCapacity(cluster(['FARGATE']), { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }), NOT_ASSOCIATED_MESSAGE);
  refused(() => chooseCapacity(c, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }, { capacityProvider: 'cp1', weight: 1 }] }), MIXED_MESSAGE);
  refused(() => chooseCapacity(c, { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 0 }] }), /no capacity providers with a weight value greater than zero/);
  refused(() => chooseCapacity(cluster(['FARGATE'], [{ capacityProvider: 'FARGATE', weight: 0 }]), {}), NO_WEIGHT_DEFAULT_MESSAGE);
});
