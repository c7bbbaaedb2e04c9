import { SignatureV4 } from '@smithy/signature-v4';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AwsError } from '../../src/gateway/errors.js';
import { readSignature, verifySignature, type SignedRequest } from '../../src/gateway/sigv4.js';
import { NodeSha256 } from '../support/sha256.js';

const KEY = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', accountId: '123456789012' };
const keys = (id: string) => (id === KEY.accessKeyId ? KEY : undefined);
const signer = new SignatureV4({ service: 'ecs', region: 'us-east-1', credentials: KEY, sha256: NodeSha256 });

async function signed(opts: { body?: string; path?: string; query?: Record<string, string>; date?: Date; presign?: boolean } = {}): Promise<SignedRequest> {
  const body = opts.body ?? '{}';
  const request = {
    method: 'POST',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4600,
    path: opts.path ?? '/',
    query: opts.query ?? {},
    headers: { host: '127.0.0.1:4600', 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' },
    body,
  };
  const s = opts.presign
    ? await signer.presign(request, { signingDate: opts.date, expiresIn: 60 })
    : await signer.sign(request, { signingDate: opts.date });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.headers)) headers[k.toLowerCase()] = String(v);
  const rawQuery = Object.entries(s.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  return { method: 'POST', rawPath: s.path, rawQuery, headers, body: Buffer.from(body) };
}

function verify(req: SignedRequest, now = Date.now()) {
  const sig = readSignature(req);
  assert.ok(sig, 'the request carries a signature');
  return verifySignature(req, sig!, keys, now);
}

function rejects(fn: () => unknown, code: string, message?: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AwsError, `expected AwsError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    assert.equal(e.status, 403);
    return true;
  });
}

test('a request signed by the SDK signer verifies, and names account, region and service', async () => {
  const caller = verify(await signed());
  assert.deepEqual(caller, { accessKeyId: 'AKIDEXAMPLE', accountId: '123456789012', region: 'us-east-1', service: 'ecs' });
});

test('query parameters and odd paths are canonicalised as the signer does', async () => {
  verify(await signed({ path: '/a b/c~d', query: { 'b key': 'x y', a: '1*2', Action: 'List' } }));
});

test('a changed body fails with InvalidSignatureException', async () => {
  const req = await signed({ body: '{"maxResults":1}' });
  req.body = Buffer.from('{"maxResults":2}');
  rejects(() => verify(req), 'InvalidSignatureException', /does not match/);
});

test('an unknown key is UnrecognizedClientException', async () => {
  const req = await signed();
  req.headers.authorization = req.headers.authorization!.replace('AKIDEXAMPLE', 'AKIDUNKNOWN');
  rejects(() => verify(req), 'UnrecognizedClientException');
});

test('a header without Signature is IncompleteSignatureException naming the part', async () => {
  const req = await signed();
  req.headers.authorization = req.headers.authorization!.replace(/, Signature=[0-9a-f]+/, '');
  rejects(() => verify(req), 'IncompleteSignatureException', /requires 'Signature'/);
});

test('a signature older than 15 minutes has expired; one from the future is not yet current', async () => {
  const old = await signed({ date: new Date(Date.now() - 20 * 60_000) });
  rejects(() => verify(old), 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than/);
  const future = await signed({ date: new Date(Date.now() + 20 * 60_000) });
  rejects(() => verify(future), 'InvalidSignatureException', /not yet current/);
});

test('a presigned query string verifies until it expires', async () => {
  const signedAt = new Date(Date.now() - 5_000);
  const req = await signed({ presign: true, date: signedAt });
  assert.equal(req.headers.authorization, undefined);
  assert.equal(verify(req).accountId, '123456789012');
  rejects(() => verify(req, signedAt.getTime() + 61_000), 'InvalidSignatureException', /expired/);
});

test('a request with no signature at all carries none', () => {
  assert.equal(readSignature({ method: 'POST', rawPath: '/', rawQuery: '', headers: {}, body: Buffer.alloc(0) }), undefined);
});
