import { parseDigest } from '../../registry/digest.js';
import { keyOf } from '../../registry/repositories.js';
import { UploadError, type UploadInfo } from '../../registry/uploads.js';
import { OciError } from './errors.js';
import { repository } from './manifests.js';
import { sendEmpty, streamTo, type OciRequest } from './routes.js';

// Blobs and blob uploads on the /v2/ API. Upload bodies stream straight to
// the staged file (never through the AWS API's body limit); the digest is
// checked before anything becomes visible.

function checkedDigest(text: string | null): string {
  if (text === null || !parseDigest(text)) throw new OciError('DIGEST_INVALID', `'${text ?? ''}' is not a valid digest; give ?digest=sha256:<64 hex digits>.`);
  return text;
}

function parseRange(header: string, total: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/i.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    // `bytes=-0` asks for the last zero bytes: nothing to send, so unsatisfiable (RFC 9110 §14.1.1).
    const suffix = Number(m[2]);
    return suffix > 0 ? { start: Math.max(0, total - suffix), end: total - 1 } : undefined;
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
  return start <= end ? { start, end } : undefined;
}

export async function blobRoutes(r: OciRequest, name: string, digestText: string): Promise<void> {
  const digest = checkedDigest(digestText);
  const repo = await repository(r, name);
  const { blobs } = r.deps.registry;
  const size = await blobs.sizeIn(keyOf(repo), digest);
  if (r.req.method === 'DELETE') {
    if (size === undefined) throw new OciError('BLOB_UNKNOWN', `The blob ${digest} is not in the repository '${name}'.`);
    await blobs.unlink(keyOf(repo), digest);
    sendEmpty(r.res, 202);
    return;
  }
  if (r.req.method !== 'GET' && r.req.method !== 'HEAD') throw new OciError('UNSUPPORTED', `${r.req.method} is not supported on blobs.`);
  if (size === undefined) throw new OciError('BLOB_UNKNOWN', `The blob ${digest} is not in the repository '${name}'.`);
  const res = r.res;
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('ETag', `"${digest}"`);
  const rangeHeader = r.req.headers.range;
  let range: { start: number; end: number } | undefined;
  // A range unit other than bytes is ignored, as RFC 9110 requires: the whole blob follows.
  if (rangeHeader !== undefined && size > 0 && /^\s*bytes=/i.test(rangeHeader)) {
    range = parseRange(rangeHeader, size);
    if (!range) throw new OciError('RANGE_INVALID', `The range '${rangeHeader}' is not satisfiable for a blob of ${size} bytes.`, 416, { 'Content-Range': `bytes */${size}` });
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.statusCode = 200;
    res.setHeader('Content-Length', size);
  }
  if (r.req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await streamTo(res, await blobs.reader(digest, range));
}

function uploadHeaders(name: string, upload: UploadInfo, size: number): Record<string, string> {
  return {
    Location: `/v2/${name}/blobs/uploads/${upload.id}`,
    'Docker-Upload-UUID': upload.id,
    // The spec's inclusive range of bytes received; 0-0 before any (as distribution answers).
    Range: `0-${Math.max(0, size - 1)}`,
  };
}

/** A chunk's Content-Range (`<start>-<end>`, optionally `bytes ` first), as start and length. */
function chunkRange(r: OciRequest): { start: number; length?: number } | undefined {
  const header = r.req.headers['content-range'];
  if (header === undefined) return undefined;
  const m = /^(?:bytes )?(\d+)-(\d+)$/.exec(header.trim());
  if (!m || Number(m[2]) < Number(m[1])) throw new OciError('RANGE_INVALID', `Content-Range '${header}' is not of the form <start>-<end>.`, 416);
  const length = Number(m[2]) - Number(m[1]) + 1;
  const declared = r.req.headers['content-length'];
  if (declared !== undefined && Number(declared) !== length) {
    throw new OciError('RANGE_INVALID', `Content-Range '${header}' declares ${length} bytes but Content-Length is ${declared}.`, 416);
  }
  return { start: Number(m[1]), length };
}

function hasBody(r: OciRequest): boolean {
  const length = r.req.headers['content-length'];
  return (length !== undefined && Number(length) > 0) || r.req.headers['transfer-encoding'] !== undefined;
}

async function appendBody(r: OciRequest, upload: UploadInfo, range?: { start: number; length?: number }): Promise<number> {
  const declared = r.req.headers['content-length'];
  try {
    return await r.deps.registry.uploads.append(upload, r.req, range ?? (declared !== undefined ? { start: upload.size, length: Number(declared) } : undefined));
  } catch (e) {
    throw uploadError(e, upload);
  }
}

function uploadError(e: unknown, upload: UploadInfo): unknown {
  if (!(e instanceof UploadError)) return e;
  const name = upload.repo.name;
  switch (e.kind) {
    case 'digest':
      return new OciError('DIGEST_INVALID', e.message);
    case 'range':
      return new OciError('RANGE_INVALID', e.message, 416, uploadHeaders(name, upload, e.size));
    case 'incomplete':
      return new OciError('BLOB_UPLOAD_INVALID', e.message, 400, uploadHeaders(name, upload, e.size));
  }
}

/** verify → move → link, then the spec's 201 naming the blob. */
async function commitUpload(r: OciRequest, upload: UploadInfo, digest: string): Promise<void> {
  try {
    await r.deps.registry.uploads.commit(upload, digest, r.now);
  } catch (e) {
    throw uploadError(e, upload);
  }
  sendEmpty(r.res, 201, { Location: `/v2/${upload.repo.name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

export async function uploadRoutes(r: OciRequest, name: string, id: string): Promise<void> {
  const repo = await repository(r, name);
  const key = keyOf(repo);
  const { uploads, blobs } = r.deps.registry;
  if (id === '') {
    if (r.req.method !== 'POST') throw new OciError('UNSUPPORTED', `${r.req.method} is not supported on blobs/uploads/.`);
    const mount = r.query.get('mount');
    if (mount !== null) {
      const digest = checkedDigest(mount);
      const from = r.query.get('from');
      const source = from !== null ? await r.deps.registry.repositories.find(r.principal, from) : undefined;
      if (source && (await blobs.sizeIn(keyOf(source), digest)) !== undefined && (await blobs.link(key, digest, r.now))) {
        sendEmpty(r.res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
        return;
      }
      // Not mountable: fall back to an ordinary upload, as the spec says.
    }
    const upload = await uploads.start(key, r.now);
    const digestParam = r.query.get('digest');
    if (digestParam !== null) {
      const digest = checkedDigest(digestParam);
      await appendBody(r, upload);
      await commitUpload(r, upload, digest);
      return;
    }
    sendEmpty(r.res, 202, { ...uploadHeaders(name, upload, 0), 'OCI-Chunk-Min-Length': 0 });
    return;
  }
  const upload = await uploads.get(id, key);
  if (!upload) throw new OciError('BLOB_UPLOAD_UNKNOWN', `There is no upload ${id} in the repository '${name}'; start a new one with POST /v2/${name}/blobs/uploads/.`);
  switch (r.req.method) {
    case 'GET':
      sendEmpty(r.res, 204, uploadHeaders(name, upload, upload.size));
      return;
    case 'PATCH': {
      const size = await appendBody(r, upload, chunkRange(r));
      sendEmpty(r.res, 202, uploadHeaders(name, upload, size));
      return;
    }
    case 'PUT': {
      const digest = checkedDigest(r.query.get('digest'));
      if (hasBody(r)) await appendBody(r, upload, chunkRange(r));
      await commitUpload(r, upload, digest);
      return;
    }
    case 'DELETE':
      await uploads.cancel(upload);
      sendEmpty(r.res, 204);
      return;
    default:
      throw new OciError('UNSUPPORTED', `${r.req.method} is not supported on uploads.`);
  }
}
