import { ApiError } from '../errors.js';
import { describe } from './parseRefUpdates.js';
import type { PostReceiveMessage } from './renderMessages.js';
import { isRecord } from '../shared/isRecord.js';

export interface PostReceiveReply {
  readonly referenceCounterDecreased: boolean;
  readonly messages: readonly PostReceiveMessage[];
}

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
  /** The server's clock, from its Date header, in epoch milliseconds. */
  readonly date?: number | undefined;
}

/** Turns the API's answer into a reply, or one clear error: anything off-contract is the API's fault. */
export function parseResponse(answer: HttpAnswer): PostReceiveReply {
  const { status } = answer;
  if (status < 200 || status > 299) throw statusError(answer);
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    const kind = answer.contentType ? answer.contentType.split(';')[0] : 'no content type';
    throw new ApiError(`the API answered HTTP ${status} with a body that is not JSON (${kind})`, 'EBADREPLY', status);
  }
  if (!isRecord(json)) throw shapeError(status, 'the body is not a JSON object');
  const counter = json.reference_counter_decreased;
  if (typeof counter !== 'boolean') throw shapeError(status, '"reference_counter_decreased" is missing or not a boolean');
  const rawMessages = json.messages;
  if (!Array.isArray(rawMessages)) throw shapeError(status, '"messages" is missing or not an array');
  const messages = rawMessages.map((entry: unknown, index): PostReceiveMessage => {
    if (!isRecord(entry) || typeof entry.message !== 'string') {
      throw shapeError(status, `messages[${index}] has no "message" string`);
    }
    if (entry.type !== 'basic' && entry.type !== 'alert') {
      const type = typeof entry.type === 'string' ? describe(entry.type, 30) : String(entry.type);
      throw shapeError(status, `messages[${index}] has unknown type ${type}`);
    }
    return { type: entry.type, message: entry.message };
  });
  return { referenceCounterDecreased: counter, messages };
}

function statusError({ status, body, contentType }: HttpAnswer): ApiError {
  const said = apiErrorMessage(body, contentType);
  const suffix = said ? `: ${said}` : '';
  const http = `HTTP ${status}${STATUS_WORDS[status] === undefined ? '' : ` ${STATUS_WORDS[status]}`}`;
  if (status === 401 || status === 403) {
    return new ApiError(`the API refused our credentials (${http}): check the secret file${suffix}`, 'EAUTH', status);
  }
  // The internal API's own 404 names what it does not know (GitLab: "404 Project Not Found"); a bare one is a wrong URL.
  // String(undefined) is "undefined", which names neither.
  if (status === 404 && /project|repository/i.test(String(said))) {
    return new ApiError(`the API does not know this repository (${http}${suffix}): check GL_REPOSITORY against the API's projects`, 'ENOPROJECT', status);
  }
  if (status === 404 || status === 405 || status === 501) {
    return new ApiError(`the API has no post_receive endpoint there (${http}): check the API URL${suffix}`, 'ENOTFOUND', status);
  }
  if (status === 413) return new ApiError(`the API refused the request as too large (${http})${suffix}`, 'ETOOLARGE', status);
  if (status >= 500) return new ApiError(`the API failed (${http})${suffix}`, 'ESERVER', status);
  return new ApiError(`the API answered ${http}${suffix}`, 'EHTTP', status);
}

/** The reason phrases of the statuses an API or the web server in front of it answers. */
const STATUS_WORDS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** GitLab's API puts its reason in `message` (or `error`); show a short piece of it. */
function apiErrorMessage(body: string, contentType: string | undefined): string | undefined {
  if (!contentType?.includes('json')) return undefined;
  const json = jsonOrUndefined(body);
  if (!isRecord(json)) return undefined;
  const said = typeof json.message === 'string' ? json.message : typeof json.error === 'string' ? json.error : undefined;
  return said === undefined ? undefined : describe(said, 100);
}

function jsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: no reason to show.
  }
  return undefined;
}

function shapeError(status: number, what: string): ApiError {
  return new ApiError(`the API's answer is not a post_receive reply: ${what}`, 'EBADREPLY', status);
}
