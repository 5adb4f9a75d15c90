import got from 'got';
import { ApiError } from '../errors.js';
import type { ApiRequest } from './buildRequest.js';
import type { HttpAnswer } from './parseResponse.js';

export interface SendOptions {
  /** Epoch milliseconds by which everything, retries included, must be over. */
  readonly deadline: number;
  readonly caCertificate?: string | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly maxBodyBytes?: number;
  readonly maxAttempts?: number;
  readonly now?: () => number;
  readonly debug?: (line: string) => void;
  /** Ends the request at once (a replicator stopping in the middle of a long poll). */
  readonly signal?: AbortSignal;
}

export interface SendResult {
  readonly answer: HttpAnswer;
  readonly attempts: number;
}

/** A reply larger than this is not a post_receive reply; we stop reading. */
export const MAX_BODY_BYTES = 1024 * 1024;
const MAX_ATTEMPTS = 4;
const FIRST_BACKOFF_MS = 100;
/** A connection not made by then is retried, within the deadline. */
const CONNECT_TIMEOUT_MS = 3000;
// The server answered that it could not pass the request on: it has not acted on it.
const RETRY_STATUSES = new Set([502, 503, 504]);
// The request never reached a server: it cannot have acted on it.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOENT', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);
const TLS_TRUST = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/**
 * Sends the request with got, retrying only where the server cannot have acted
 * twice (contract section 6), all within the deadline.
 */
export async function sendRequest(request: ApiRequest, options: SendOptions): Promise<SendResult> {
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? MAX_ATTEMPTS;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const totalSeconds = Math.max(0, Math.round((options.deadline - now()) / 100) / 10);
  for (let attempt = 1; ; attempt++) {
    const remaining = options.deadline - now();
    if (remaining <= 0) throw withAttempts(timedOut(request, totalSeconds), attempt - 1);
    const started = now();
    try {
      const answer = await attemptOnce(request, options, remaining, maxBodyBytes);
      options.debug?.(`attempt ${attempt}: HTTP ${answer.status} in ${now() - started} ms`);
      if (RETRY_STATUSES.has(answer.status) && attempt < maxAttempts && (await backoff(attempt, options.deadline, now))) {
        continue;
      }
      return { answer, attempts: attempt };
    } catch (error) {
      const code = errorCode(error);
      options.debug?.(`attempt ${attempt}: ${code} in ${now() - started} ms`);
      if (isNotConnected(error) && attempt < maxAttempts && (await backoff(attempt, options.deadline, now))) continue;
      throw withAttempts(describeFailure(error, request, totalSeconds), attempt);
    }
  }
}

/** The log says how many times the request was really tried. */
function withAttempts<T>(error: T, attempts: number): T {
  if (error instanceof ApiError) error.attempts = attempts;
  return error;
}

async function attemptOnce(request: ApiRequest, options: SendOptions, remainingMs: number, maxBodyBytes: number): Promise<HttpAnswer> {
  let tooLarge = false;
  const promise = got(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined && { body: request.body }),
    throwHttpErrors: false,
    followRedirect: false,
    retry: { limit: 0 },
    timeout: { request: remainingMs, connect: Math.min(CONNECT_TIMEOUT_MS, remainingMs) },
    enableUnixSockets: true,
    http2: false,
    responseType: 'buffer',
    ...(options.caCertificate !== undefined && { https: { certificateAuthority: options.caCertificate } }),
    ...(options.signal !== undefined && { signal: options.signal }),
    ...(options.user !== undefined && { username: options.user, password: options.password ?? '' }),
  });
  promise.on('downloadProgress', (progress) => {
    if (progress.transferred > maxBodyBytes || (progress.total ?? 0) > maxBodyBytes) {
      tooLarge = true;
      promise.cancel();
    }
  });
  try {
    const response = await promise;
    return {
      status: response.statusCode,
      contentType: response.headers['content-type'],
      body: response.body.toString('utf8'),
      date: response.headers.date === undefined ? undefined : Date.parse(response.headers.date),
    };
  } catch (error) {
    if (tooLarge) {
      throw new ApiError(`the API's answer is larger than ${maxBodyBytes} bytes; stopped reading it`, 'ETOOLARGE', undefined, error);
    }
    throw error;
  }
}

/** Waits before the next attempt; false when the deadline leaves no room for one. */
async function backoff(attempt: number, deadline: number, now: () => number): Promise<boolean> {
  const wait = FIRST_BACKOFF_MS * 2 ** (attempt - 1);
  if (now() + wait >= deadline) return false;
  await new Promise((resolve) => setTimeout(resolve, wait));
  return true;
}

function isNotConnected(error: unknown): boolean {
  const code = errorCode(error);
  if (NOT_CONNECTED.has(code)) return true;
  const event = (error as { event?: unknown }).event;
  return code === 'ETIMEDOUT' && (event === 'lookup' || event === 'connect');
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function timedOut(request: ApiRequest, seconds: number): ApiError {
  return new ApiError(`the API at ${request.displayUrl} did not answer within ${seconds} s`, 'ETIMEDOUT');
}

/** Why the API could not be reached, in words, by system error code (a Map: no code can hit Object's own keys). */
const UNREACHABLE = new Map([
  ['ECONNREFUSED', 'connection refused (is it running?)'],
  ['ENOENT', 'the socket does not exist'],
  ['EACCES', 'permission denied on the socket'],
  ['ENOTFOUND', 'the host name does not resolve'],
  ['EAI_AGAIN', 'the host name could not be resolved now (DNS)'],
  ['EHOSTUNREACH', 'no route to the host'],
  ['ENETUNREACH', 'no route to the host'],
  ['EPROTO', 'the TLS handshake failed: is it https:// on that port, or plain http://?'],
  ['EADDRNOTAVAIL', 'the address is not one this machine can connect from or to'],
  ['ENOTSOCK', 'the path is not a socket'],
  ['EISDIR', 'the socket path is a folder'],
  ['EMFILE', 'too many files are open on this machine'],
  ['ENFILE', 'too many files are open on this machine'],
]);

/** A connection that was made and then lost. */
const BROKE_OFF = new Set(['ERR_GOT_REQUEST_ERROR', 'ERR_READING_RESPONSE_STREAM', 'EPIPE', 'ECONNABORTED']);

/** One line for the pusher, naming what went wrong in words. */
export function describeFailure(error: unknown, request: ApiRequest, totalSeconds: number): ApiError {
  if (error instanceof ApiError) return error;
  const code = errorCode(error);
  const at = `the API at ${request.displayUrl}`;
  const because = (text: string) => new ApiError(`cannot reach ${at}: ${text}`, code, undefined, error);
  if (code === 'ETIMEDOUT') return new ApiError(`${at} did not answer within ${totalSeconds} s`, 'ETIMEDOUT', undefined, error);
  if (code === 'ECONNRESET') return new ApiError(`${at} closed the connection before answering`, code, undefined, error);
  if (BROKE_OFF.has(code)) return new ApiError(`${at} broke off the connection`, code, undefined, error);
  const words = UNREACHABLE.get(code);
  if (words !== undefined) return because(words);
  if (TLS_TRUST.test(code)) {
    return new ApiError(`cannot trust ${at}: its TLS certificate failed (${code}); set caFile to its CA`, 'ETLS', undefined, error);
  }
  return because(`system error ${code}, which geo-hook has no words for (--verbose shows more)`);
}
