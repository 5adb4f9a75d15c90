import { resolveConfig } from '../config/resolveConfig.js';
import type { Config } from '../config/options.js';
import { ApiError, ExitStatus, type GeoHookError, UsageError, isGeoHookError } from '../errors.js';
import { HOOK_ON_TERMINAL, NO_SECRET_FILE, REFERENCE_COUNTER_NOT_DECREASED, errorLine, pusherLine } from '../messages.js';
import { parseApiUrl, type ApiUrl } from '../shared/apiUrl.js';
import { secretFromFile } from '../shared/jwt.js';
import { buildRequest, describeRequest } from './buildRequest.js';
import { type RunSummary, logLine } from './logRecord.js';
import { parseRefUpdates } from './parseRefUpdates.js';
import { parseResponse } from './parseResponse.js';
import { type Env, type PushContext, readHookEnv } from './readHookEnv.js';
import { renderMessages } from './renderMessages.js';
import type { SendOptions, SendResult } from './sendRequest.js';
import type { ApiRequest } from './buildRequest.js';
import { limitShown } from './limitShown.js';
import { pusherReason } from './pusherReason.js';
import { showControls } from './showControls.js';
import { MAX_POST_RECEIVE_BYTES, mebibytes } from '../shared/limits.js';
import { MAX_CA_BYTES, MAX_SECRET_BYTES } from './readBounded.js';
import { fileProblem } from '../shared/fileProblem.js';
import { withinMs } from '../shared/withinMs.js';

/** Everything the hook touches outside itself, so tests can run it without a process. */
export interface HookIo {
  readonly env: Env;
  readonly flags: Readonly<Record<string, unknown>>;
  readonly configFile: { readonly path: string; readonly text: string } | undefined;
  readonly stdinIsTerminal: boolean;
  /** Run by git for a pusher: a failure naming the server's addresses or paths is said in the pusher's words (the log has it whole). */
  readonly forPusher?: boolean;
  /** Where a failure goes when there is no log file to hold it (the configuration itself failed). */
  readonly toSyslog?: (line: string) => void;
  /** Resolves with all of standard input; the hook bounds the wait itself. */
  readonly readStdin: () => Promise<string>;
  /** Reads a small file, at most maxBytes (a larger one is an error). */
  readonly readFile: (path: string, maxBytes: number, what: string) => Promise<string>;
  /**
   * Said when a wait was given up at the deadline: something (a file
   * operation in the thread pool) may still be pending, so the shell ends the
   * process once the last line is written.
   */
  readonly gaveUp?: () => void;
  readonly appendFile: (path: string, text: string) => Promise<void>;
  readonly writeStdout: (text: string) => void;
  readonly writeStderr: (text: string) => void;
  readonly now: () => number;
  readonly send: (request: ApiRequest, options: SendOptions) => Promise<SendResult>;
  readonly version: string;
  readonly dryRun: boolean;
  readonly debug: ((line: string) => void) | undefined;
}

// Standard input is part of the request: more than the request's limit can never be sent.
const MAX_STDIN_BYTES = MAX_POST_RECEIVE_BYTES;
const LOG_WRITE_MS = 1000;

/**
 * The post-receive hook: reads the push, calls the internal API, prints its
 * messages for the pusher. Returns the exit status; failures are one
 * `geo-hook: …` line on stderr. Internal errors are thrown to the caller.
 */
export async function runPostReceive(io: HookIo): Promise<number> {
  if (io.stdinIsTerminal) {
    io.writeStderr(HOOK_ON_TERMINAL);
    return ExitStatus.usage;
  }
  const startedAt = io.now();
  const debug = io.debug ?? (() => {});
  let config: Config | undefined;
  let context: PushContext | undefined;
  let refs: number | undefined;
  let sent: SendResult | undefined;
  const finish = async (outcome: RunSummary['outcome'], error?: GeoHookError) => {
    if (!config?.logFile) return;
    const line = logLine({
      startedAt,
      finishedAt: io.now(),
      context,
      refs,
      attempts: sent?.attempts ?? (error instanceof ApiError ? (error.attempts ?? 1) : 0),
      status: sent?.answer.status ?? (error instanceof ApiError ? error.status : undefined),
      outcome,
      error: error && { code: error.code, message: error.message },
    });
    // A log that cannot be written (or hangs, on a network file system) never fails or holds the hook.
    await withDeadline(io.appendFile(config.logFile, line), io.now() + LOG_WRITE_MS, io.now, 'writing the log', io.gaveUp).catch((logError: Error) =>
      debug(`log file: ${logError.message}`),
    );
  };

  try {
    config = resolveConfig({ flags: io.flags, env: io.env, file: io.configFile });
    const deadline = startedAt + config.timeout * 1000;
    context = readHookEnv(io.env);
    // The push's own input, not a file of the server's: said to the pusher as it is.
    const updates = parseRefUpdates(await withDeadline(io.readStdin(), deadline, io.now, 'reading the ref updates on standard input', io.gaveUp, 'ESTDINTIMEOUT'));
    refs = updates.length;
    debug(`${refs} ref update(s) for ${context.glRepository} by ${context.glId}`);
    // A dry run sends nothing: it needs no secret (the token it would sign is never shown).
    const secret = io.dryRun && config.secretFile === undefined ? 'dry-run' : await readSecret(config, io, deadline);
    debug('configuration, environment, ref updates and secret read');
    const api = parseApiUrl(config.apiUrl) as ApiUrl;
    const request = buildRequest({ api, context, updates, secret, nowSeconds: Math.floor(io.now() / 1000), version: io.version });
    debug('request built, token signed');

    const size = Buffer.byteLength(request.body ?? '');
    if (size > MAX_POST_RECEIVE_BYTES) {
      throw new UsageError(`the push is too large to report: its request would be ${size} bytes, over the API's limit of ${mebibytes(MAX_POST_RECEIVE_BYTES)}`, 'ETOOLARGE');
    }

    if (io.dryRun) {
      io.writeStdout(describeRequest(request, config.user));
      await finish('dry_run');
      return ExitStatus.ok;
    }

    const caCertificate = config.caFile === undefined ? undefined : await readOrFail(io, config.caFile, 'CA file', MAX_CA_BYTES, deadline);
    if (caCertificate !== undefined && caCertificate.trim() === '') throw new UsageError(`CA file ${config.caFile} is empty`, 'EFILE');
    sent = await io.send(request, { deadline, caCertificate, user: config.user, password: config.password, debug });
    const reply = parseResponse(sent.answer);
    io.writeStderr(limitShown(showControls(renderMessages(reply.messages))));
    debug(`${reply.messages.length} message(s) rendered and written`);
    if (!reply.referenceCounterDecreased) {
      io.writeStderr(errorLine(REFERENCE_COUNTER_NOT_DECREASED));
      await finish('reference_counter_not_decreased');
      return ExitStatus.referenceCounter;
    }
    debug(`done in ${io.now() - startedAt} ms, ${sent.attempts} attempt(s)`);
    await finish('ok');
    return ExitStatus.ok;
  } catch (error) {
    if (!isGeoHookError(error)) throw error;
    const reason = io.forPusher === true ? pusherReason(error) : undefined;
    if (reason !== undefined) debug(`the whole line: ${error.message}`);
    // No configuration, so no log file: the operator finds the line in syslog.
    if (config === undefined) io.toSyslog?.(error.message);
    io.writeStderr(showControls(errorLine(reason === undefined ? error.message : pusherLine(reason))));
    await finish('error', error);
    return error.exitStatus;
  }
}

async function readSecret(config: Config, io: HookIo, deadline: number): Promise<string> {
  if (config.secretFile === undefined) throw new UsageError(NO_SECRET_FILE, 'ESECRET');
  const secret = secretFromFile(await readOrFail(io, config.secretFile, 'secret file', MAX_SECRET_BYTES, deadline));
  if (secret === '') throw new UsageError(`secret file ${config.secretFile} is empty`, 'ESECRET');
  return secret;
}

async function readOrFail(io: HookIo, path: string, what: string, maxBytes: number, deadline: number): Promise<string> {
  try {
    // A FIFO or a hung network file system blocks for ever: the deadline bounds the wait.
    return await withDeadline(io.readFile(path, maxBytes, what), deadline, io.now, `reading the ${what} ${path}`, io.gaveUp);
  } catch (error) {
    if (isGeoHookError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`${what} ${path} ${fileProblem(code)}`, 'EFILE', error);
  }
}

/** `code` says what kind of wait it was: a file's (ETIMEDOUT, the operator's to look at) or the push's own input's. */
function withDeadline<T>(promise: Promise<T>, deadline: number, now: () => number, what: string, gaveUp?: () => void, code = 'ETIMEDOUT'): Promise<T> {
  return withinMs(promise, deadline - now(), () => new UsageError(`timed out ${what}`, code), gaveUp);
}

export { MAX_STDIN_BYTES };
