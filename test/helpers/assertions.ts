import * as assert from 'uvu/assert';

/** Asserts that run() throws an error of the given class whose message matches. */
export function throwsError(run: () => unknown, kind: abstract new (...args: never[]) => Error, pattern: RegExp, what = 'input'): void {
  try {
    run();
  } catch (error) {
    assert.instance(error, kind);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`accepted ${what}`);
}
