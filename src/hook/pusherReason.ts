import { ApiError, type GeoHookError } from '../errors.js';
import type { PusherReason } from '../messages.js';

/** Failures whose line names the server's files: the configuration, the secret, a CA file, a timed-out read of one. */
const CONFIGURATION_CODES = new Set(['ECONFIG', 'EFILE', 'ESECRET', 'ETIMEDOUT']);
/** The API answered, but not as the contract says. */
const ANSWER_CODES = new Set(['EBADREPLY', 'EHTTP', 'ESERVER', 'ENOPROJECT', 'ETOOLARGE']);

/**
 * Whether a failure's line is for the operator (it names addresses, ports or
 * paths of the server), and if so what the pusher is told instead.
 * Failures of the push's own input or environment are said as they are.
 */
export function pusherReason(error: GeoHookError): PusherReason | undefined {
  if (error instanceof ApiError) {
    if (error.code === 'EAUTH') return 'refused';
    return ANSWER_CODES.has(error.code) ? 'answer' : 'unreachable';
  }
  return CONFIGURATION_CODES.has(error.code) ? 'configuration' : undefined;
}
