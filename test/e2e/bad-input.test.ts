import { ListClustersCommand } from '@aws-sdk/client-ecs';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { ecsClient, startBerth, type Berth } from './harness.js';
import {
  ecsCall,
  ECS_TARGET_PREFIX,
  JSON_CONTENT_TYPE,
  queryString,
  send,
  signer,
  signHeaders,
  unsignedRequest,
  type RawResponse,
} from './raw-http.js';

// Requests no SDK would send, against a real berth over raw HTTP: malformed
// bodies, wrong types, broken signatures, huge bodies, random junk. berth must
// answer each with the AWS error a client expects (4xx, AWS-shaped) and never
// fail itself (5xx) or stop serving.

let b: Berth;

before(async () => {
  b = await startBerth();
});

after(async () => {
  await b?.stop();
  if (b) rmSync(b.dataDir, { recursive: true, force: true });
});

const errorType = (r: RawResponse): string | undefined => (typeof r.json?.__type === 'string' ? r.json.__type.split('#').pop() : undefined);

/** A JSON-protocol error as AWS writes it: status, x-amzn-RequestId, `__type` and `message`. */
function assertJsonError(r: RawResponse, status: number, type: string, message?: RegExp): void {
  const context = `${r.status} ${r.body.slice(0, 500)}`;
  assert.equal(r.status, status, context);
  assert.ok(r.headers['x-amzn-requestid'], `no x-amzn-RequestId header: ${context}`);
  assert.ok(r.json && typeof r.json === 'object', `error body is not JSON: ${context}`);
  assert.equal(errorType(r), type, context);
  assert.equal(typeof r.json.message, 'string', `no message: ${context}`);
  assert.ok(r.json.message.length > 0, `empty message: ${context}`);
  if (message) assert.match(r.json.message, message, context);
}

test('a signed, well-formed request succeeds (the baseline the other cases break)', async () => {
  const r = await ecsCall(b, 'ListClusters', {});
  assert.equal(r.status, 200, r.body);
  assert.ok(r.headers['x-amzn-requestid']);
  assert.match(String(r.headers['content-type']), /application\/x-amz-json-1\.1/);
  assert.ok(Array.isArray(r.json.clusterArns), r.body);
  assert.ok(r.json.clusterArns.includes(`arn:aws:ecs:${b.region}:000000000000:cluster/default`), r.body);
});

test('malformed JSON → 400 SerializationException', async () => {
  for (const body of ['{"maxResults": ', '{maxResults: 5}', 'not json at all', '{"a":1}}']) {
    assertJsonError(await ecsCall(b, 'ListClusters', body), 400, 'SerializationException');
  }
});

test('a body that is JSON but not an object → 400 SerializationException', async () => {
  for (const body of ['[]', '"ListClusters"', '42', 'true']) {
    assertJsonError(await ecsCall(b, 'ListClusters', body), 400, 'SerializationException');
  }
});

test('wrong member types → 400 SerializationException naming the field', async () => {
  assertJsonError(await ecsCall(b, 'ListClusters', { maxResults: 'x' }), 400, 'SerializationException', /maxResults/);
  assertJsonError(await ecsCall(b, 'ListClusters', { maxResults: 2.5 }), 400, 'SerializationException', /maxResults/);
  assertJsonError(await ecsCall(b, 'DescribeClusters', { clusters: 'a' }), 400, 'SerializationException', /clusters/);
  assertJsonError(await ecsCall(b, 'DescribeClusters', { clusters: [1] }), 400, 'SerializationException', /clusters/);
  assertJsonError(await ecsCall(b, 'CreateCluster', { clusterName: { name: 'x' } }), 400, 'SerializationException', /clusterName/);
  assertJsonError(await ecsCall(b, 'CreateCluster', { clusterName: 'x', tags: { key: 'v' } }), 400, 'SerializationException', /tags/);
  assertJsonError(
    await ecsCall(b, 'RegisterTaskDefinition', { family: 'f', containerDefinitions: [{ name: 'a', image: 'i', memory: 'lots' }] }),
    400,
    'SerializationException',
    /memory/,
  );
  assertJsonError(
    await ecsCall(b, 'RegisterTaskDefinition', { family: 'f', containerDefinitions: [{ name: 'a', image: 'i', memory: 64, essential: 'yes' }] }),
    400,
    'SerializationException',
    /essential/,
  );
});

test('missing required member → 400 InvalidParameterException naming the field', async () => {
  assertJsonError(await ecsCall(b, 'DescribeTaskDefinition', {}), 400, 'InvalidParameterException', /taskDefinition/);
  assertJsonError(await ecsCall(b, 'RegisterTaskDefinition', { containerDefinitions: [] }), 400, 'InvalidParameterException', /family/);
  assertJsonError(await ecsCall(b, 'RegisterTaskDefinition', { family: 'f' }), 400, 'InvalidParameterException', /containerDefinitions/);
  assertJsonError(await ecsCall(b, 'TagResource', { resourceArn: `arn:aws:ecs:${b.region}:000000000000:cluster/default` }), 400, 'InvalidParameterException', /tags/);
  assertJsonError(await ecsCall(b, 'DeleteCluster', {}), 400, 'InvalidParameterException', /cluster/);
});

test('unknown enum value → 400 naming the field and the value', async () => {
  const r = await ecsCall(b, 'ListTaskDefinitions', { status: 'FOO' });
  assertJsonError(r, 400, 'InvalidParameterException', /status/);
  assert.match(r.json.message, /FOO/);
  assertJsonError(await ecsCall(b, 'ListTaskDefinitions', { sort: 'SIDEWAYS' }), 400, 'InvalidParameterException', /sort/);
  assertJsonError(await ecsCall(b, 'DescribeClusters', { include: ['EVERYTHING'] }), 400, 'InvalidParameterException', /include/);
});

test('out-of-range numbers → 400 InvalidParameterException naming the field', async () => {
  assertJsonError(await ecsCall(b, 'ListClusters', { maxResults: 0 }), 400, 'InvalidParameterException', /maxResults/);
  assertJsonError(await ecsCall(b, 'ListClusters', { maxResults: 101 }), 400, 'InvalidParameterException', /maxResults/);
});

test('a nextToken berth never issued → 400 InvalidParameterException, never 500', async () => {
  const forged = (k: unknown[]) => Buffer.from(JSON.stringify({ v: 1, k })).toString('base64url');
  const cases: [string, object][] = [
    ['ListClusters', { nextToken: 'garbage' }],
    ['ListClusters', { nextToken: forged([{ arn: 'x' }]) }],
    ['ListTaskDefinitions', { nextToken: forged([{}, {}]) }],
    ['ListTaskDefinitionFamilies', { nextToken: forged([{}]) }],
    ['ListAccountSettings', { nextToken: forged([['x']]) }],
  ];
  for (const [op, body] of cases) {
    const r = await ecsCall(b, op, body);
    assert.ok(r.status < 500, `${op} ${JSON.stringify(body)} → ${r.status} ${r.body}`);
    assertJsonError(r, 400, 'InvalidParameterException');
  }
});

test('unknown X-Amz-Target → 400 UnknownOperationException', async () => {
  assertJsonError(await ecsCall(b, 'NoSuchOperation', {}), 400, 'UnknownOperationException');
  const headers = await signHeaders(b, { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': 'NoSuchService_20991231.ListClusters' }, '{}');
  assertJsonError(await send(b, { headers, body: '{}' }), 400, 'UnknownOperationException');
});

test('a model operation berth does not implement → 501 NotImplementedException', async () => {
  // Express Gateway services are not part of berth (yet): the model knows the operation, berth says so.
  const r = await ecsCall(b, 'CreateExpressGatewayService', { executionRoleArn: 'arn:aws:iam::000000000000:role/x', infrastructureRoleArn: 'arn:aws:iam::000000000000:role/y', primaryContainer: { image: 'busybox' } });
  assertJsonError(r, 501, 'NotImplementedException', /CreateExpressGatewayService/);
  assert.match(String(r.headers['content-type']), /json/);
});

/**
 * POSTs a big body to berth: `declared` sends a Content-Length, otherwise the
 * body is chunked. With `stopAfter`, only that many bytes are written before
 * waiting for the answer. Resolves with the status, or the socket error code
 * when the connection broke before any answer arrived.
 */
function postBig(size: number, opts: { declared: boolean; stopAfter?: number }): Promise<{ status?: number; requestId?: string; error?: string }> {
  const url = new URL(b.endpoint);
  const headers: Record<string, string> = { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.ListClusters` };
  if (opts.declared) headers['content-length'] = String(size);
  else headers['transfer-encoding'] = 'chunked';
  return new Promise((resolve) => {
    let answered = false;
    const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/', agent: false, headers }, (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode, requestId: res.headers['x-amzn-requestid'] as string | undefined });
        req.destroy();
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (!answered) resolve({ error: e.code ?? e.message });
    });
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const limit = opts.stopAfter ?? size;
    let sent = 0;
    const pump = () => {
      while (sent < limit && !answered) {
        const piece = chunk.subarray(0, Math.min(chunk.length, limit - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once('drain', pump);
      }
      if (opts.stopAfter === undefined && !answered) req.end();
    };
    pump();
  });
}

const TWENTY_MB = 20 * 1024 * 1024;

test('a 20 MB body (declared by Content-Length) → 413 before the body is read', async () => {
  // Only the first megabyte is sent: the answer must come from the declared length alone.
  const r = await postBig(TWENTY_MB, { declared: true, stopAfter: 1024 * 1024 });
  assert.equal(r.status, 413, JSON.stringify(r));
  assert.ok(r.requestId, 'no x-amzn-RequestId');
});

test('a 20 MB body sent in full → the client reads the 413 (not a broken connection), and berth keeps serving', async () => {
  // A client that is still writing when berth answers must still get the answer:
  // berth has to go on reading (and discarding) the body instead of dropping the connection.
  const outcomes: string[] = [];
  for (let i = 0; i < 6; i++) {
    const declared = await postBig(TWENTY_MB, { declared: true });
    const chunked = await postBig(TWENTY_MB, { declared: false });
    outcomes.push(`length:${declared.status ?? declared.error}`, `chunked:${chunked.status ?? chunked.error}`);
  }
  const list = await ecsClient(b).send(new ListClustersCommand({}));
  assert.ok(list.clusterArns!.length >= 1);
  assert.deepEqual(outcomes.filter((o) => !o.endsWith(':413')), [], `answers to 20 MB bodies: ${outcomes.join(' ')}`);
});

test('no signature → 403 MissingAuthenticationTokenException', async () => {
  const r = await send(b, { headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.ListClusters` }, body: '{}' });
  assertJsonError(r, 403, 'MissingAuthenticationTokenException');
});

test('tampered body (one byte changed after signing) → 403 InvalidSignatureException', async () => {
  const original = '{"maxResults":5}';
  const tampered = '{"maxResults":6}';
  const base = { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.ListClusters` };
  // As botocore signs (no x-amz-content-sha256 header).
  const headers = await signHeaders(b, base, original);
  assertJsonError(await send(b, { headers, body: tampered }), 403, 'InvalidSignatureException');
  // Unchanged, the same signed request is accepted: the signature itself is good.
  assert.equal((await send(b, { headers, body: original })).status, 200);
});

test('tampered body with a signed x-amz-content-sha256 of the original → 403, the payload hash must match the body', async () => {
  const original = '{"maxResults":5}';
  const tampered = '{"maxResults":6}';
  const base = { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.ListClusters` };
  // As the JS SDK's signer does by default: the payload hash travels in a signed header.
  const headers = await signHeaders(b, base, original, { applyChecksum: true });
  assert.ok(headers['x-amz-content-sha256']);
  assert.equal((await send(b, { headers, body: original })).status, 200);
  const r = await send(b, { headers, body: tampered });
  assert.equal(r.status >= 400 && r.status < 500, true, `tampered body accepted: ${r.status} ${r.body}`);
  assert.equal(r.status, 403, r.body);
});

test('a signature by an unknown access key → 403 UnrecognizedClientException', async () => {
  const r = await ecsCall(b, 'ListClusters', {}, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
  assertJsonError(r, 403, 'UnrecognizedClientException');
});

test('the right key id with the wrong secret → 403 InvalidSignatureException', async () => {
  const r = await ecsCall(b, 'ListClusters', {}, { secretAccessKey: 'x'.repeat(40) });
  assertJsonError(r, 403, 'InvalidSignatureException');
});

test('an Authorization header without Signature → 403 IncompleteSignatureException', async () => {
  const headers = await signHeaders(b, { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.ListClusters` }, '{}');
  const auth = headers.authorization!;
  assert.match(auth, /, Signature=[0-9a-f]{64}$/);
  headers.authorization = auth.replace(/, Signature=[0-9a-f]{64}$/, '');
  assertJsonError(await send(b, { headers, body: '{}' }), 403, 'IncompleteSignatureException', /Signature/);
});

test('X-Amz-Date 20 minutes old, correctly signed → 403 InvalidSignatureException "Signature expired"', async () => {
  const r = await ecsCall(b, 'ListClusters', {}, { signingDate: new Date(Date.now() - 20 * 60 * 1000) });
  assertJsonError(r, 403, 'InvalidSignatureException', /Signature expired/);
  // 20 minutes ahead is refused too; 5 minutes of skew is not.
  assertJsonError(await ecsCall(b, 'ListClusters', {}, { signingDate: new Date(Date.now() + 20 * 60 * 1000) }), 403, 'InvalidSignatureException');
  assert.equal((await ecsCall(b, 'ListClusters', {}, { signingDate: new Date(Date.now() - 5 * 60 * 1000) })).status, 200);
});

test('a signature for another region is accepted and scoped to that region', async () => {
  const r = await ecsCall(b, 'ListClusters', {}, { region: 'ap-southeast-2' });
  assert.equal(r.status, 200, r.body);
  assert.ok(!r.json.clusterArns.some((a: string) => a.includes(`:${b.region}:`)), r.body);
});

async function presigned(body: string, opts: { signingDate?: Date; expiresIn?: number }): Promise<RawResponse> {
  const headers = { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.ListClusters` };
  const req = await signer(b).presign(unsignedRequest(b, headers, body), {
    signingDate: opts.signingDate,
    expiresIn: opts.expiresIn ?? 300,
    unhoistableHeaders: new Set(['x-amz-target', 'content-type']),
  });
  assert.equal(req.headers.authorization, undefined);
  const query = req.query ?? {};
  assert.ok(query['X-Amz-Signature']);
  const signedHeaders = String(query['X-Amz-SignedHeaders']).split(';');
  assert.ok(signedHeaders.includes('x-amz-target'), `x-amz-target is not signed: ${signedHeaders.join(';')}`);
  return send(b, { method: 'POST', path: `/?${queryString(query as Record<string, string>)}`, headers: req.headers as Record<string, string>, body });
}

test('a presigned-query POST (X-Amz-Target signed) is accepted', async () => {
  const r = await presigned('{"maxResults":10}', {});
  assert.equal(r.status, 200, r.body);
  assert.ok(r.headers['x-amzn-requestid']);
  assert.ok(Array.isArray(r.json.clusterArns), r.body);
});

test('an expired presigned request → 403 InvalidSignatureException', async () => {
  const r = await presigned('{}', { signingDate: new Date(Date.now() - 20 * 60 * 1000), expiresIn: 60 });
  assertJsonError(r, 403, 'InvalidSignatureException', /expired/i);
});

test('a presigned request whose body was changed → 403', async () => {
  const headers = { 'content-type': JSON_CONTENT_TYPE, 'x-amz-target': `${ECS_TARGET_PREFIX}.ListClusters` };
  const req = await signer(b).presign(unsignedRequest(b, headers, '{"maxResults":10}'), { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-target', 'content-type']) });
  const r = await send(b, { path: `/?${queryString((req.query ?? {}) as Record<string, string>)}`, headers: req.headers as Record<string, string>, body: '{"maxResults":11}' });
  assertJsonError(r, 403, 'InvalidSignatureException');
});

const STS_FORM = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };

test('query protocol (STS): success is XML with the account', async () => {
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const headers = await signHeaders(b, STS_FORM, body, { service: 'sts' });
  const r = await send(b, { headers, body });
  assert.equal(r.status, 200, r.body);
  assert.ok(r.headers['x-amzn-requestid']);
  assert.match(r.body, /<GetCallerIdentityResponse[^>]*>/);
  assert.match(r.body, /<Account>000000000000<\/Account>/);
});

test('query protocol (STS): errors are <ErrorResponse> XML', async () => {
  const body = 'Action=GetCallerIdentity&Version=2011-06-15';
  const unsigned = await send(b, { headers: STS_FORM, body });
  assert.equal(unsigned.status, 403, unsigned.body);
  assert.ok(unsigned.headers['x-amzn-requestid']);
  assert.match(String(unsigned.headers['content-type']), /xml/);
  assert.match(unsigned.body, /^(<\?xml[^>]*>\s*)?<ErrorResponse[\s>]/);
  assert.match(unsigned.body, /<Error>.*<Code>MissingAuthenticationToken<\/Code>.*<\/Error>/s);
  assert.match(unsigned.body, /<Message>[^<]+<\/Message>/);
  assert.match(unsigned.body, /<RequestId>[^<]+<\/RequestId>/);

  const bad = 'Action=NoSuchAction&Version=2011-06-15';
  const headers = await signHeaders(b, STS_FORM, bad, { service: 'sts' });
  const r = await send(b, { headers, body: bad });
  assert.equal(r.status, 400, r.body);
  assert.match(r.body, /^(<\?xml[^>]*>\s*)?<ErrorResponse[\s>]/);
  assert.match(r.body, /<Type>Sender<\/Type>/);
  assert.match(r.body, /<Code>InvalidAction<\/Code>/);

  const wrongSecret = await signHeaders(b, STS_FORM, body, { service: 'sts', secretAccessKey: 'y'.repeat(40) });
  const denied = await send(b, { headers: wrongSecret, body });
  assert.equal(denied.status, 403, denied.body);
  assert.match(denied.body, /<Code>SignatureDoesNotMatch<\/Code>/);
});

// ── property: junk never breaks berth ───────────────────────────────────────

/** Signed runs per property test; BERTH_FUZZ_RUNS=5000 for a longer hunt. */
const FUZZ_RUNS = Number(process.env.BERTH_FUZZ_RUNS ?? 300);

/** ECS operations (implemented or not) with members of their input shapes. */
const OPERATIONS: Record<string, string[]> = {
  ListClusters: ['nextToken', 'maxResults'],
  DescribeClusters: ['clusters', 'include'],
  CreateCluster: ['clusterName', 'tags', 'settings', 'configuration', 'capacityProviders', 'defaultCapacityProviderStrategy', 'serviceConnectDefaults'],
  UpdateCluster: ['cluster', 'settings', 'configuration', 'serviceConnectDefaults'],
  UpdateClusterSettings: ['cluster', 'settings'],
  DeleteCluster: ['cluster'],
  RegisterTaskDefinition: [
    'family', 'containerDefinitions', 'cpu', 'memory', 'networkMode', 'volumes', 'requiresCompatibilities', 'tags',
    'placementConstraints', 'runtimePlatform', 'ephemeralStorage', 'proxyConfiguration', 'pidMode', 'ipcMode', 'taskRoleArn',
  ],
  DescribeTaskDefinition: ['taskDefinition', 'include'],
  ListTaskDefinitions: ['familyPrefix', 'status', 'sort', 'nextToken', 'maxResults'],
  ListTaskDefinitionFamilies: ['familyPrefix', 'status', 'nextToken', 'maxResults'],
  DeregisterTaskDefinition: ['taskDefinition'],
  DeleteTaskDefinitions: ['taskDefinitions'],
  TagResource: ['resourceArn', 'tags'],
  UntagResource: ['resourceArn', 'tagKeys'],
  ListTagsForResource: ['resourceArn'],
  PutAccountSetting: ['name', 'value', 'principalArn'],
  PutAccountSettingDefault: ['name', 'value'],
  DeleteAccountSetting: ['name', 'principalArn'],
  ListAccountSettings: ['name', 'value', 'principalArn', 'effectiveSettings', 'nextToken', 'maxResults'],
  CreateService: ['cluster', 'serviceName', 'taskDefinition', 'desiredCount'],
  RunTask: ['cluster', 'taskDefinition', 'count'],
  ListTasks: ['cluster', 'maxResults'],
  CreateCapacityProvider: ['name', 'autoScalingGroupProvider', 'tags', 'cluster'],
  UpdateCapacityProvider: ['name', 'autoScalingGroupProvider'],
  DeleteCapacityProvider: ['capacityProvider'],
  DescribeCapacityProviders: ['capacityProviders', 'include', 'maxResults', 'nextToken'],
  PutClusterCapacityProviders: ['cluster', 'capacityProviders', 'defaultCapacityProviderStrategy'],
};
const CONTAINER_MEMBERS = [
  'name', 'image', 'memory', 'memoryReservation', 'cpu', 'essential', 'links', 'portMappings', 'dependsOn', 'healthCheck',
  'mountPoints', 'volumesFrom', 'ulimits', 'logConfiguration', 'linuxParameters', 'hostname', 'environment', 'secrets',
];
const NESTED_MEMBERS = ['name', 'value', 'key', 'containerPort', 'hostPort', 'protocol', 'containerName', 'condition', 'sourceVolume', 'containerPath', 'logDriver', 'options', 'command', 'softLimit', 'hardLimit'];

const smallString = fc.oneof(
  fc.constantFrom('', 'default', 'web', 'nginx', 'ACTIVE', 'INACTIVE', 'DESC', 'containerInsights', 'enabled', 'tcp', 'awslogs', 'bridge', 'awsvpc', 'FARGATE', '256', '512', '1 vCPU'),
  fc.constantFrom(`arn:aws:ecs:us-east-1:000000000000:cluster/default`, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1', 'web:1', 'arn:aws:iam::000000000000:root'),
  fc.string({ maxLength: 12 }),
);
const scalar = fc.oneof(smallString, fc.integer({ min: -5, max: 70000 }), fc.boolean(), fc.constant(null), fc.double({ noNaN: true }));
const nested = fc.dictionary(fc.constantFrom(...NESTED_MEMBERS), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxKeys: 4 });
const container = fc.dictionary(
  fc.constantFrom(...CONTAINER_MEMBERS),
  fc.oneof(scalar, fc.array(fc.oneof(scalar, nested), { maxLength: 3 }), nested),
  { maxKeys: 6 },
);
const memberValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 3, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(fc.oneof(scalar, nested), { maxLength: 3 }) },
  { weight: 2, arbitrary: fc.array(container, { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: nested },
);
const operation = fc.constantFrom(...Object.keys(OPERATIONS));
const body = fc.oneof(
  { weight: 6, arbitrary: operation.chain((op) => fc.dictionary(fc.constantFrom(...OPERATIONS[op]!), memberValue, { maxKeys: 4 }).map((o) => JSON.stringify(o))) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);
const target = fc.oneof(
  { weight: 8, arbitrary: operation.map((op) => `${ECS_TARGET_PREFIX}.${op}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((op) => `${ECS_TARGET_PREFIX}.${op}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);
const headerName = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-'), minLength: 1, maxLength: 10 }).map((s) => `x-junk-${s}`);
const headerJunk = fc.record({
  extra: fc.dictionary(headerName, fc.string({ maxLength: 30 }), { maxKeys: 3 }),
  contentType: fc.option(fc.oneof(fc.constantFrom(JSON_CONTENT_TYPE, 'application/json', 'application/x-amz-json-1.0', 'text/plain', 'application/x-www-form-urlencoded', ''), fc.string({ maxLength: 20 }))),
  // About one request in ten goes without a target (so it is read as the query protocol).
  dropTarget: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
});

interface Junk {
  body: string;
  target: string;
  junk: { extra: Record<string, string>; contentType: string | null; dropTarget: boolean };
}

function junkHeaders({ target: t, junk }: Junk): Record<string, string> {
  const headers: Record<string, string> = { ...junk.extra };
  if (junk.contentType !== null) headers['content-type'] = junk.contentType;
  if (!junk.dropTarget) headers['x-amz-target'] = t;
  return headers;
}

function assertSane(r: RawResponse, what: string): void {
  const context = `${what} → ${r.status} ${r.body.slice(0, 300)}`;
  assert.ok(r.headers['x-amzn-requestid'], `no x-amzn-RequestId: ${context}`);
  // The one 5xx allowed: a model operation berth does not implement yet.
  if (r.status === 501 && errorType(r) === 'NotImplementedException') return;
  assert.ok(r.status < 500, `server error: ${context}`);
  assert.ok((r.status >= 200 && r.status < 300) || (r.status >= 400 && r.status < 500), context);
  assert.ok(r.headers['x-amzn-requestid'], `no x-amzn-RequestId: ${context}`);
  if (r.status >= 400 && /json/.test(String(r.headers['content-type']))) {
    assert.equal(typeof r.json?.__type, 'string', `JSON error without __type: ${context}`);
    assert.equal(typeof r.json?.message, 'string', `JSON error without message: ${context}`);
  }
}

test('property: signed junk reaches parsing and gets 2xx/4xx, never 5xx', async () => {
  const arb = fc.record({ body, target, junk: headerJunk });
  const outcomes = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(arb, async (j: Junk) => {
      const headers = await signHeaders(b, junkHeaders(j), j.body);
      const r = await send(b, { headers, body: j.body });
      const what = JSON.stringify({ headers, body: j.body }).slice(0, 600);
      assertSane(r, what);
      // Properly signed: whatever else is wrong, the signature is not.
      assert.notEqual(r.status, 403, `signed request refused: ${what} → ${r.body.slice(0, 400)}`);
      const outcome = r.status < 300 ? '2xx' : (errorType(r) ?? String(r.status));
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }),
    { numRuns: FUZZ_RUNS },
  );
  // The junk got past the signature into every later stage: decoding, validation, the handlers.
  const seen = JSON.stringify(Object.fromEntries(outcomes));
  for (const stage of ['SerializationException', 'InvalidParameterException', '2xx']) assert.ok(outcomes.has(stage), `no ${stage} among ${seen}`);
});

test('property: unsigned junk gets 4xx (never 5xx)', async () => {
  const arb = fc.record({ body, target, junk: headerJunk });
  await fc.assert(
    fc.asyncProperty(arb, async (j: Junk) => {
      const headers = junkHeaders(j);
      const r = await send(b, { headers, body: j.body });
      const what = JSON.stringify({ headers, body: j.body }).slice(0, 600);
      assertSane(r, what);
      assert.ok(r.status >= 400 && r.status < 500, `unsigned request not refused: ${what} → ${r.status}`);
    }),
    { numRuns: Math.ceil(FUZZ_RUNS / 2) },
  );
});

test('after all that, berth still answers ListClusters', async () => {
  const out = await ecsClient(b).send(new ListClustersCommand({}));
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(Array.isArray(out.clusterArns));
  assert.ok(b.process.exitCode === null && b.process.signalCode === null, 'berth exited');
});
