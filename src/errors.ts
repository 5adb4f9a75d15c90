/**
 * The few kinds of failure geo-hook knows about. Each carries the one line a
 * user reads and the exit status; details stay in `cause` (non-enumerable, so
 * logging an error never dumps a request with its token).
 */

export const ExitStatus = {
  ok: 0,
  /** The API could not be reached, timed out, refused us or broke the contract. */
  api: 1,
  /** Bad command line, configuration, environment or input. */
  usage: 2,
  /** The server answered `reference_counter_decreased: false`. */
  referenceCounter: 3,
  /** A bug in geo-hook itself (EX_SOFTWARE). */
  internal: 70,
} as const;

export type ExitStatusCode = (typeof ExitStatus)[keyof typeof ExitStatus];

/**
 * Marks geo-hook's errors. The entry and the second bundle each hold their own
 * copy of these classes, so `instanceof` cannot tell across them; a
 * registered symbol can.
 */
const BRAND = Symbol.for('geo-hook.error');

export class GeoHookError extends Error {
  readonly exitStatus: ExitStatusCode;
  readonly code: string;
  readonly [BRAND] = true;

  constructor(message: string, options: { code: string; exitStatus: ExitStatusCode; cause?: unknown }) {
    super(message);
    this.name = new.target.name;
    this.code = options.code;
    this.exitStatus = options.exitStatus;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: true });
    }
  }
}

/** The user's mistake: configuration, flags, environment or standard input. */
export class UsageError extends GeoHookError {
  constructor(message: string, code = 'EUSAGE', cause?: unknown) {
    super(message, { code, exitStatus: ExitStatus.usage, cause });
  }
}

/** The internal API failed us: unreachable, too slow, refused, or off-contract. */
export class ApiError extends GeoHookError {
  /** HTTP status when the server answered at all. */
  readonly status: number | undefined;
  /** How many times the request was tried before it failed, for the log (set where it is sent). */
  attempts: number | undefined;

  constructor(message: string, code: string, status?: number, cause?: unknown) {
    super(message, { code, exitStatus: ExitStatus.api, cause });
    this.status = status;
  }
}

export function isGeoHookError(error: unknown): error is GeoHookError {
  return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === true;
}
