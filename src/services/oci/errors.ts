import type { ServerResponse } from 'node:http';
import { AwsError } from '../../gateway/errors.js';

// The OCI distribution spec's error codes, and how the registry core's ECR
// errors read on the /v2/ API, so both front ends refuse the same things.

export const OCI_ERRORS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  RANGE_INVALID: 416,
} as const;

export type OciCode = keyof typeof OCI_ERRORS;

export class OciError extends Error {
  constructor(
    readonly code: OciCode,
    message: string,
    readonly status: number = OCI_ERRORS[code],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const FROM_ECR: Record<string, OciCode> = {
  RepositoryNotFoundException: 'NAME_UNKNOWN',
  ImageNotFoundException: 'MANIFEST_UNKNOWN',
  LayersNotFoundException: 'MANIFEST_BLOB_UNKNOWN',
  ReferencedImagesNotFoundException: 'MANIFEST_BLOB_UNKNOWN',
  ImageDigestDoesNotMatchException: 'DIGEST_INVALID',
  ImageTagAlreadyExistsException: 'TAG_INVALID',
  InvalidParameterException: 'MANIFEST_INVALID',
  AccessDeniedException: 'DENIED',
};

export function toOciError(e: unknown): OciError | undefined {
  if (e instanceof OciError) return e;
  if (e instanceof AwsError && FROM_ECR[e.code]) return new OciError(FROM_ECR[e.code]!, e.message);
  return undefined;
}

/** The spec's error body. `RANGE_INVALID` is berth's name for the spec's bare 416. */
export function writeOciError(res: ServerResponse, error: OciError, head = false): void {
  const code = error.code === 'RANGE_INVALID' ? 'BLOB_UPLOAD_INVALID' : error.code;
  const body = JSON.stringify({ errors: [{ code, message: error.message, detail: null }] });
  res.statusCode = error.status;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(head ? undefined : body);
}
