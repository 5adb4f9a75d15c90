/** Text a person reads, in one place so it reads as one voice. */

export const PROGRAM = 'geo-hook';

export function errorLine(message: string): string {
  return `${PROGRAM}: ${message}\n`;
}

export const HOOK_ON_TERMINAL = `${PROGRAM} post-receive is git's post-receive hook: git runs it after a push,
with the ref updates on standard input and the push's details in GL_ID,
GL_REPOSITORY, CORRELATION_ID and GEO_NODE_ID. To try it by hand:

  echo "<old-oid> <new-oid> refs/heads/main" |
    GL_ID=key-1 GL_REPOSITORY=project-1 geo-hook post-receive --dry-run
`;

export const NO_SECRET_FILE = 'no secret file: set --secret-file, GEO_HOOK_SECRET_FILE or "secretFile" in the config file';

export function internalError(message: string, version: string, nodeVersion: string): string {
  return `internal error: ${message} (geo-hook ${version}, node ${nodeVersion}); please report it with this line`;
}

export const REFERENCE_COUNTER_NOT_DECREASED = 'the API did not decrease the reference counter (reference_counter_decreased: false)';

/** Why a pusher got no lag message, in words without the server's addresses, ports or paths. */
const PUSHER_REASONS = {
  unreachable: "the server's hook could not reach its API",
  refused: "the server's hook was refused by its API",
  answer: "the server's hook could not use its API's answer",
  configuration: "the server's hook is not configured right",
} as const;

export type PusherReason = keyof typeof PUSHER_REASONS;

/**
 * The line a pusher is shown instead of an operator's: the push itself is
 * done whatever the hook says, and the whole line is in the hook's log.
 */
export function pusherLine(reason: PusherReason): string {
  return `no replication lag message this time (${PUSHER_REASONS[reason]}); your push succeeded`;
}
