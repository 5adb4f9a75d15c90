/** The shapes of the identifiers the hook, the server and the lab all check (contract section 2). */

/** An actor: `user-<n>`, or `key-<n>` for a deploy key. */
export const GL_ID = /^(?:user|key)-[1-9][0-9]*$/;
/** A repository: `project-<n>`, `wiki-<n>` or `snippet-<n>`. */
export const GL_REPOSITORY = /^(?:project|wiki|snippet)-[1-9][0-9]*$/;
/** A correlation id; it also travels as the X-Request-ID header, so printable ASCII only. */
export const CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * A repository's path in the site file (`namespace/project`): words of
 * [A-Za-z0-9_.-], never "." or "..", so that it cannot climb out of a
 * replica folder.
 */
export function isRepositoryPath(value: unknown): value is string {
  return typeof value === 'string' && /^[\w.-]+(?:\/[\w.-]+)+$/.test(value) && !value.split('/').some((word) => word === '.' || word === '..');
}
