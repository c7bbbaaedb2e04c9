import { AwsError } from '../../gateway/errors.js';
import { extendModel, loadServiceModel } from '../../gateway/model/load.js';
import type { ServiceModel } from '../../gateway/model/shapes.js';
import { validationMessage } from '../../gateway/validate.js';

// PutLogEvents' `logEvents` is the one list on berth's API that routinely
// holds 10,000 items, and walking it item by item through the generic,
// model-driven decoder and validator cost more than storing the events (about
// 2.5 µs an event, most of the ingestion budget). So the Logs model given to
// the gateway marks that member as an opaque document, and this file applies
// the model's own rules for it (InputLogEvents: 1–10,000 items; InputLogEvent:
// `timestamp` a long ≥ 0 and `message` a string of length ≥ 1, both required)
// in one tight loop, with the gateway's wording for every failure.

const RAW_EVENTS_SHAPE = 'BerthRawInputLogEvents';

/** botocore's Logs model, with PutLogEventsRequest.logEvents left for `readInputEvents`. */
export function logsModel(): ServiceModel {
  return extendModel(loadServiceModel('logs'), {
    shapes: {
      [RAW_EVENTS_SHAPE]: { type: 'structure', document: true },
      PutLogEventsRequest: { members: { logEvents: { shape: RAW_EVENTS_SHAPE } } },
    },
  });
}

export interface InputEvents {
  timestamps: number[];
  messages: string[];
}

const MAX_EVENTS = 10_000;
const MAX_REPORTED = 10;
const serialization = (message: string) => new AwsError('SerializationException', message);
const show = (v: unknown) => `'${typeof v === 'string' ? v : JSON.stringify(v).slice(0, 100)}'`;

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' && value !== null ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** The events of a PutLogEvents request, checked against the model as the gateway would check them. */
export function readInputEvents(raw: unknown): InputEvents {
  if (raw === undefined) throw new AwsError('InvalidParameterException', validationMessage(["Value null at 'logEvents' failed to satisfy constraint: Member must not be null"]));
  if (!Array.isArray(raw)) throw serialization(`Expected a list at 'logEvents' but got ${describe(raw)}.`);
  const errors: string[] = [];
  if (raw.length < 1) errors.push(`Value ${show(raw)} at 'logEvents' failed to satisfy constraint: Member must have length greater than or equal to 1`);
  if (raw.length > MAX_EVENTS) errors.push(`Value ${show(raw)} at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to ${MAX_EVENTS}`);
  const n = raw.length;
  const timestamps = new Array<number>(n);
  const messages = new Array<string>(n);
  for (let k = 0; k < n && errors.length <= MAX_REPORTED; k++) {
    const e = raw[k] as { timestamp?: unknown; message?: unknown } | null;
    const at = `logEvents.${k + 1}.member`;
    if (e === null || e === undefined) {
      // The generic decoder lets a null item through to the handler; AWS's validation names it.
      errors.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    if (typeof e !== 'object' || Array.isArray(e)) throw serialization(`Expected an object at '${at}' but got ${describe(e)}.`);
    const { timestamp, message } = e;
    if (timestamp === undefined || timestamp === null) errors.push(`Value null at '${at}.timestamp' failed to satisfy constraint: Member must not be null`);
    else if (typeof timestamp !== 'number' || !Number.isInteger(timestamp)) throw serialization(`Expected an integer at '${at}.timestamp' but got ${describe(timestamp)}.`);
    else if (timestamp < 0) errors.push(`Value '${timestamp}' at '${at}.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    if (message === undefined || message === null) errors.push(`Value null at '${at}.message' failed to satisfy constraint: Member must not be null`);
    else if (typeof message !== 'string') throw serialization(`Expected a string at '${at}.message' but got ${describe(message)}.`);
    else if (message.length < 1) errors.push(`Value '' at '${at}.message' failed to satisfy constraint: Member must have length greater than or equal to 1`);
    timestamps[k] = timestamp as number;
    messages[k] = message as string;
  }
  if (errors.length) throw new AwsError('InvalidParameterException', validationMessage(errors));
  return { timestamps, messages };
}
