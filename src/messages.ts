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
