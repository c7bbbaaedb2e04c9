import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AwsError } from '../../src/gateway/errors.js';
import { validateInput } from '../../src/gateway/validate.js';
import { decodeJson } from '../../src/gateway/protocols/json.js';
import { loadServiceModel } from '../../src/gateway/model/load.js';
import { logsModel, readInputEvents } from '../../src/services/logs/input-events.js';

// PutLogEvents' events skip the generic decoder; readInputEvents applies the
// model's rules to them and must answer exactly as the gateway would have.

function gatewayError(logEvents: unknown): AwsError | undefined {
  const model = loadServiceModel('logs');
  try {
    const input = decodeJson(model, 'PutLogEventsRequest', { logGroupName: 'g', logStreamName: 's', logEvents }) as Record<string, unknown>;
    const errors = validateInput(model, 'PutLogEventsRequest', input);
    return errors.length ? new AwsError('InvalidParameterException', `${errors.length} validation error${errors.length === 1 ? '' : 's'} detected: ${errors.join('; ')}`) : undefined;
  } catch (e) {
    return e as AwsError;
  }
}

function ownError(logEvents: unknown): AwsError | undefined {
  try {
    readInputEvents(logEvents);
    return undefined;
  } catch (e) {
    return e as AwsError;
  }
}

test('the Logs model given to the gateway leaves logEvents opaque and nothing else changed', () => {
  const base = loadServiceModel('logs');
  const model = logsModel();
  assert.equal(model.shapes.PutLogEventsRequest!.members!.logEvents!.shape, 'BerthRawInputLogEvents');
  assert.deepEqual(model.shapes.PutLogEventsRequest!.required, base.shapes.PutLogEventsRequest!.required);
  assert.deepEqual(model.shapes.InputLogEvents, base.shapes.InputLogEvents);
  assert.equal(base.shapes.PutLogEventsRequest!.members!.logEvents!.shape, 'InputLogEvents');
});

test('valid events come out as two arrays', () => {
  assert.deepEqual(readInputEvents([{ timestamp: 5, message: 'a' }, { timestamp: 6, message: 'b', extra: 1 }]), { timestamps: [5, 6], messages: ['a', 'b'] });
});

test('every malformed list fails with the code and message the generic decoder and validator give', () => {
  const cases: unknown[] = [
    'not a list',
    {},
    [],
    Array.from({ length: 10_001 }, () => ({ timestamp: 1, message: 'm' })),
    [{ timestamp: 1 }],
    [{ message: 'm' }],
    [{ timestamp: -1, message: 'm' }],
    [{ timestamp: 1.5, message: 'm' }],
    [{ timestamp: '1', message: 'm' }],
    [{ timestamp: 1, message: '' }],
    [{ timestamp: 1, message: 7 }],
    ['event'],
    [{ timestamp: 1, message: 'ok' }, { timestamp: -2, message: '' }],
  ];
  for (const c of cases) {
    const mine = ownError(c);
    const theirs = gatewayError(c);
    assert.ok(mine && theirs, `both should fail for ${JSON.stringify(c).slice(0, 80)}`);
    assert.equal(mine.code, theirs.code, JSON.stringify(c).slice(0, 80));
    assert.equal(mine.message, theirs.message, JSON.stringify(c).slice(0, 80));
  }
  assert.equal(ownError(undefined)?.code, 'InvalidParameterException');
  assert.equal(ownError([null])?.message, "1 validation error detected: Value null at 'logEvents.1.member' failed to satisfy constraint: Member must not be null");
});
