/**
 * The one size limit of a post_receive request (contract section 7): the
 * server refuses a larger body, and the hook refuses, before sending, a push
 * whose request would be larger.
 */
export const MAX_POST_RECEIVE_BYTES = 32 * 1024 * 1024;

export function mebibytes(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}
