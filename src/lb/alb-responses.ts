// The responses the load balancer writes itself, as bytes: ALB's headers
// (`Server: awselb/2.0`) and its small HTML pages for the errors it
// generates ("Troubleshoot your Application Load Balancers": 502 the target
// refused, reset or answered malformed; 503 no target can take the request;
// 504 the target did not answer within the idle timeout), redirects and
// fixed responses.

export const SERVER_HEADER = 'awselb/2.0';

const REASON_PHRASE: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Time-out',
  410: 'Gone',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

export function reasonPhrase(status: number): string {
  return REASON_PHRASE[status] ?? '';
}

const PAGES = new Map<number, Buffer>();

/** ALB's HTML page for a status it generates. */
export function albPage(status: number): Buffer {
  let p = PAGES.get(status);
  if (!p) {
    const title = `${status} ${reasonPhrase(status)}`.trim();
    p = Buffer.from(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`);
    PAGES.set(status, p);
  }
  return p;
}

let dateCache = { second: -1, text: '' };
/** The Date header's value, computed once a second. */
export function httpDate(now = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (dateCache.second !== second) dateCache = { second, text: new Date(second * 1000).toUTCString() };
  return dateCache.text;
}

/** A whole response. `head` (a HEAD request) leaves the body out but keeps its Content-Length. */
export function rawResponse(status: number, headers: ReadonlyArray<readonly [string, string]>, body: Buffer, close: boolean, head: boolean): Buffer {
  let text = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nServer: ${SERVER_HEADER}\r\nDate: ${httpDate()}\r\n`;
  for (const [k, v] of headers) text += `${k}: ${v}\r\n`;
  text += `Content-Length: ${body.length}\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`;
  const h = Buffer.from(text, 'latin1');
  return head || body.length === 0 ? h : Buffer.concat([h, body]);
}

/** One of ALB's error pages. */
export function rawAlbError(status: number, close: boolean, head: boolean): Buffer {
  return rawResponse(status, [['Content-Type', 'text/html']], albPage(status), close, head);
}

export interface FixedResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/** A fixed-response action, compiled once per rule set. */
export function compileFixedResponse(statusCode: string | undefined, contentType: string | undefined, messageBody: string | undefined): FixedResponse {
  const status = Number(statusCode);
  return {
    status: Number.isInteger(status) && status >= 200 && status <= 599 ? status : 500,
    contentType: `${contentType || 'text/plain'}; charset=utf-8`,
    body: Buffer.from(messageBody ?? '', 'utf8'),
  };
}
