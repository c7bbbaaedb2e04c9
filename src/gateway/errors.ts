// One catalog of AWS errors. Handlers throw `AwsError`; the protocol
// serializer of the request writes it. The catalog holds the errors that are
// not a service's own modeled exceptions (those take their status from the
// model, 400 by default).

export interface ErrorSpec {
  status: number;
  /** true: the caller's fault (`Sender` in query protocol), false: ours (`Receiver`). */
  sender: boolean;
  /** The code the query protocol uses, where it differs from the JSON one. */
  queryCode?: string;
}

export const COMMON_ERRORS = {
  MissingAuthenticationTokenException: { status: 403, sender: true, queryCode: 'MissingAuthenticationToken' },
  UnrecognizedClientException: { status: 403, sender: true, queryCode: 'InvalidClientTokenId' },
  InvalidSignatureException: { status: 403, sender: true, queryCode: 'SignatureDoesNotMatch' },
  IncompleteSignatureException: { status: 403, sender: true, queryCode: 'IncompleteSignature' },
  AccessDeniedException: { status: 403, sender: true, queryCode: 'AccessDenied' },
  UnknownOperationException: { status: 400, sender: true, queryCode: 'InvalidAction' },
  SerializationException: { status: 400, sender: true, queryCode: 'MalformedInput' },
  ValidationException: { status: 400, sender: true, queryCode: 'ValidationError' },
  RequestEntityTooLargeException: { status: 413, sender: true, queryCode: 'RequestEntityTooLarge' },
  InternalFailure: { status: 500, sender: false, queryCode: 'InternalFailure' },
  NotImplementedException: { status: 501, sender: false, queryCode: 'NotImplemented' },
} satisfies Record<string, ErrorSpec>;

export type CommonErrorCode = keyof typeof COMMON_ERRORS;

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly sender: boolean;
  readonly queryCode: string;
  /** Extra members serialized beside `message` (e.g. ECS's `reason`). */
  readonly extra: Record<string, unknown>;

  constructor(code: string, message: string, opts: { status?: number; sender?: boolean; queryCode?: string; extra?: Record<string, unknown> } = {}) {
    super(message);
    const spec: ErrorSpec | undefined = (COMMON_ERRORS as Record<string, ErrorSpec>)[code];
    this.code = code;
    this.status = opts.status ?? spec?.status ?? 400;
    this.sender = opts.sender ?? spec?.sender ?? this.status < 500;
    this.queryCode = opts.queryCode ?? spec?.queryCode ?? code;
    this.extra = opts.extra ?? {};
  }
}

export function awsError(code: CommonErrorCode, message: string): AwsError {
  return new AwsError(code, message);
}
