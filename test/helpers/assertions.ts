import * as assert from 'uvu/assert';

/**
 * Asserts that run() throws an error of the given class whose message
 * matches, and returns it. The check that it threw at all stands outside the
 * catch, so it cannot be swallowed.
 */
export function throwsError(run: () => unknown, kind: abstract new (...args: never[]) => Error, pattern: RegExp, what = 'input'): Error {
  let thrown: unknown;
  let threw = false;
  try {
    run();
  } catch (error) {
    threw = true;
    thrown = error;
  }
  if (!threw) assert.unreachable(`accepted ${what}`);
  assert.instance(thrown, kind);
  assert.match((thrown as Error).message, pattern);
  return thrown as Error;
}
