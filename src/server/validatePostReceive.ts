import { isRecord } from '../shared/isRecord.js';
import { CORRELATION_ID, GL_ID, GL_REPOSITORY } from '../shared/identifiers.js';
import { isWholeNumber } from '../shared/numbers.js';

export interface PostReceiveParams {
  readonly glRepository: string;
  readonly identifier: string;
  readonly changes: string;
  readonly pushOptions: readonly string[];
  readonly glUsername: string | undefined;
  readonly correlationId: string | undefined;
  /** Whatever was sent; judged leniently, since a bad one must not fail the push. */
  readonly geoNodeId: unknown;
}


/** Checks a post_receive body; returns the params, or what is wrong (for a 400). */
export function validatePostReceive(body: unknown): PostReceiveParams | { readonly error: string } {
  if (!isRecord(body)) return { error: 'body must be a JSON object' };
  const { gl_repository, identifier, changes, push_options = [], gl_username, correlation_id, geo_node_id } = body;
  if (typeof gl_repository !== 'string' || !GL_REPOSITORY.test(gl_repository)) return { error: 'gl_repository is missing or invalid' };
  if (typeof identifier !== 'string' || !GL_ID.test(identifier)) return { error: 'identifier is missing or invalid' };
  if (typeof changes !== 'string' || changes === '') return { error: 'changes is missing or empty' };
  if (!Array.isArray(push_options) || !push_options.every((option) => typeof option === 'string')) {
    return { error: 'push_options must be an array of strings' };
  }
  if (gl_username !== undefined && gl_username !== null && typeof gl_username !== 'string') return { error: 'gl_username must be a string' };
  if (correlation_id !== undefined && correlation_id !== null && (typeof correlation_id !== 'string' || !CORRELATION_ID.test(correlation_id))) {
    return { error: 'correlation_id must be up to 128 printable ASCII characters' };
  }
  return {
    glRepository: gl_repository,
    identifier,
    changes,
    pushOptions: push_options as string[],
    glUsername: gl_username ?? undefined,
    correlationId: correlation_id ?? undefined,
    geoNodeId: geo_node_id,
  };
}

/** A referrer id we may use: a positive safe integer. Anything else is ignored (and logged). */
export function usableNodeId(value: unknown): number | undefined {
  return isWholeNumber(value) && value > 0 ? value : undefined;
}
