import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AwsError } from '../../src/gateway/errors.js';
import { loadServiceModel } from '../../src/gateway/model/load.js';
import { decodeJson, encodeJson, parseJsonBody } from '../../src/gateway/protocols/json.js';
import { decodeQuery, parseForm, queryErrorXml, queryResponseXml } from '../../src/gateway/protocols/query.js';
import { validateInput, validationMessage } from '../../src/gateway/validate.js';

const ecs = loadServiceModel('ecs');
const elbv2 = loadServiceModel('elbv2');

test('json: decodes a RegisterTaskDefinition body and drops unknown members', () => {
  const input = decodeJson(ecs, 'RegisterTaskDefinitionRequest', {
    family: 'web',
    unknownMember: 1,
    containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64, portMappings: [{ containerPort: 80 }] }],
  }) as Record<string, unknown>;
  assert.deepEqual(input, { family: 'web', containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64, portMappings: [{ containerPort: 80 }] }] });
});

test('json: a wrong type is a SerializationException that names the member', () => {
  for (const [body, at] of [
    [{ maxResults: 'x' }, 'maxResults'],
    [{ nextToken: 5 }, 'nextToken'],
  ] as const) {
    assert.throws(() => decodeJson(ecs, 'ListClustersRequest', body), (e: unknown) => e instanceof AwsError && e.code === 'SerializationException' && e.message.includes(`'${at}'`));
  }
  assert.throws(
    () => decodeJson(ecs, 'RegisterTaskDefinitionRequest', { family: 'f', containerDefinitions: [{ name: 'a', memory: '64' }] }),
    (e: unknown) => e instanceof AwsError && e.message.includes("'containerDefinitions.1.member.memory'"),
  );
});

test('json: malformed bodies are SerializationException; an empty body is {}', () => {
  assert.deepEqual(parseJsonBody(Buffer.alloc(0)), {});
  assert.throws(() => parseJsonBody(Buffer.from('{"a":')), (e: unknown) => e instanceof AwsError && e.code === 'SerializationException');
});

test('json: timestamps encode as epoch seconds, absent members vanish', () => {
  const out = encodeJson(ecs, 'DescribeTaskDefinitionResponse', { taskDefinition: { family: 'f', registeredAt: new Date(1500), cpu: undefined } });
  assert.deepEqual(out, { taskDefinition: { family: 'f', registeredAt: 1.5 } });
});

test('validate: required, enum and range failures each name their field', () => {
  const errors = validateInput(ecs, 'RegisterTaskDefinitionRequest', { containerDefinitions: [] });
  assert.deepEqual(errors, ["Value null at 'family' failed to satisfy constraint: Member must not be null"]);
  assert.match(validationMessage(errors), /^1 validation error detected: /);
  const enumErrors = validateInput(ecs, 'ListTaskDefinitionsRequest', { status: 'FOO' });
  assert.equal(enumErrors.length, 1);
  assert.match(enumErrors[0]!, /'FOO' at 'status'.*enum value set: \[ACTIVE, INACTIVE, DELETE_IN_PROGRESS\]/);
});

test('query: decodes lists, nested structures and scalars by the input shape', () => {
  const params = parseForm(
    Buffer.from('Action=CreateTargetGroup&Name=tg&Protocol=HTTP&Port=80&HealthCheckEnabled=true&Matcher.HttpCode=200-299&Tags.member.1.Key=a&Tags.member.1.Value=b&Tags.member.2.Key=c'),
    '',
  );
  const input = decodeQuery(elbv2, 'CreateTargetGroupInput', params);
  assert.deepEqual(input, {
    Name: 'tg',
    Protocol: 'HTTP',
    Port: 80,
    HealthCheckEnabled: true,
    Matcher: { HttpCode: '200-299' },
    Tags: [{ Key: 'a', Value: 'b' }, { Key: 'c' }],
  });
  assert.throws(() => decodeQuery(elbv2, 'CreateTargetGroupInput', parseForm(Buffer.from('Port=eighty'), '')), (e: unknown) => e instanceof AwsError && e.message.includes("'Port'"));
});

test('query: responses are wrapped XML with members lists; errors are ErrorResponse', () => {
  const xml = queryResponseXml(elbv2, 'DescribeTags', 'DescribeTagsOutput', 'DescribeTagsResult', { TagDescriptions: [{ ResourceArn: 'arn:x', Tags: [{ Key: 'k', Value: '<v>' }] }] }, 'rid');
  assert.equal(
    xml,
    '<DescribeTagsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTagsResult><TagDescriptions><member><ResourceArn>arn:x</ResourceArn><Tags><member><Key>k</Key><Value>&lt;v&gt;</Value></member></Tags></member></TagDescriptions></DescribeTagsResult><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DescribeTagsResponse>',
  );
  const err = queryErrorXml(new AwsError('ValidationError', 'bad & worse'), 'rid');
  assert.match(err, /<Type>Sender<\/Type><Code>ValidationError<\/Code><Message>bad &amp; worse<\/Message>/);
});

test('json decoding either returns a value or throws SerializationException, for any JSON', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      try {
        decodeJson(ecs, 'RegisterTaskDefinitionRequest', value);
      } catch (e) {
        assert.ok(e instanceof AwsError && e.code === 'SerializationException', String(e));
      }
    }),
    { numRuns: 500 },
  );
});
