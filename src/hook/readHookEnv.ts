import { UsageError } from '../errors.js';
import { describe } from './parseRefUpdates.js';
import { CORRELATION_ID, GL_ID, GL_REPOSITORY } from '../shared/identifiers.js';

/** What the server that ran git tells the hook about the push (contract section 2). */
export interface PushContext {
  readonly glId: string;
  readonly glRepository: string;
  readonly glUsername: string | undefined;
  readonly glProtocol: string | undefined;
  readonly glProjectPath: string | undefined;
  readonly correlationId: string | undefined;
  readonly geoNodeId: number | undefined;
  readonly pushOptions: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

const GL_PROTOCOL = /^(?:http|ssh|web)$/;
const POSITIVE_INTEGER = /^[1-9][0-9]*$/;
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
const MAX_PUSH_OPTIONS = 100;

/** Reads and validates the hook's environment; a malformed value is an error, never sent blindly. */
export function readHookEnv(env: Env): PushContext {
  const glId = required(env, 'GL_ID', GL_ID, '"user-<n>" or "key-<n>"');
  const glRepository = required(env, 'GL_REPOSITORY', GL_REPOSITORY, '"project-<n>", "wiki-<n>" or "snippet-<n>"');
  const glProtocol = optional(env, 'GL_PROTOCOL', GL_PROTOCOL, '"http", "ssh" or "web"');
  const correlationId = optional(env, 'CORRELATION_ID', CORRELATION_ID, 'up to 128 printable ASCII characters');
  const geoNodeIdText = optional(env, 'GEO_NODE_ID', POSITIVE_INTEGER, 'a positive integer');
  let geoNodeId: number | undefined;
  if (geoNodeIdText !== undefined) {
    geoNodeId = Number(geoNodeIdText);
    if (!Number.isSafeInteger(geoNodeId)) throw invalid('GEO_NODE_ID', geoNodeIdText, 'a positive integer');
  }
  return Object.freeze({
    glId,
    glRepository,
    glUsername: printable(env, 'GL_USERNAME'),
    glProtocol,
    glProjectPath: printable(env, 'GL_PROJECT_PATH'),
    correlationId,
    geoNodeId,
    pushOptions: Object.freeze(readPushOptions(env)),
  });
}

/** `git push -o` options, as git passes them to hooks (githooks(5), pre-receive). */
function readPushOptions(env: Env): string[] {
  const countText = env.GIT_PUSH_OPTION_COUNT;
  if (countText === undefined || countText === '') return [];
  if (!/^(?:0|[1-9][0-9]*)$/.test(countText) || Number(countText) > MAX_PUSH_OPTIONS) {
    throw invalid('GIT_PUSH_OPTION_COUNT', countText, `a whole number up to ${MAX_PUSH_OPTIONS}`);
  }
  const options: string[] = [];
  for (let i = 0; i < Number(countText); i++) {
    const value = env[`GIT_PUSH_OPTION_${i}`];
    if (value === undefined) {
      throw new UsageError(`GIT_PUSH_OPTION_COUNT is ${countText} but GIT_PUSH_OPTION_${i} is not set`, 'EBADENV');
    }
    options.push(value);
  }
  return options;
}

function required(env: Env, name: string, pattern: RegExp, expected: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    // Git sets GIT_DIR for its hooks: then this is a real push, and the front end (not the pusher) left it out.
    const why =
      env.GIT_DIR === undefined
        ? 'to try the hook by hand, set it as a front end would (see geo-hook post-receive --help)'
        : "this push did not come through a front end that sets it (the server's web server or gitlab-shell): tell the server's operator";
    throw new UsageError(`${name} is not set: ${why}`, 'EBADENV');
  }
  if (!pattern.test(value)) throw invalid(name, value, expected);
  return value;
}

function optional(env: Env, name: string, pattern: RegExp, expected: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (!pattern.test(value)) throw invalid(name, value, expected);
  return value;
}

function printable(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (CONTROL.test(value) || value.length > 1024) throw invalid(name, value, 'printable text');
  return value;
}

function invalid(name: string, value: string, expected: string): UsageError {
  return new UsageError(`${name} is ${describe(value)}, expected ${expected}`, 'EBADENV');
}
