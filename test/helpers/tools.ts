import { spawnSync } from 'node:child_process';
import { type Test, suite } from 'uvu';

/**
 * Suites that need a program from outside node (redis-server, nginx…). Where
 * the program is missing, every test of the suite is a counted skip, said
 * once; under CI=true the suite fails instead, so CI can never be green with
 * a category untested.
 */

const found = new Map<string, string>();

/** The program's path, or '' when it is not installed (sbin folders included: nginx lives there). */
export function findTool(name: string): string {
  if (!found.has(name)) {
    const path = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/sbin:/sbin`;
    const where = spawnSync('sh', ['-c', `command -v "$0"`, name], { encoding: 'utf8', env: { ...process.env, PATH: path } });
    found.set(name, where.status === 0 ? where.stdout.trim() : '');
  }
  return found.get(name)!;
}

export const IN_CI = /^(?:1|true)$/i.test(process.env.CI ?? '');

/** Which pass of the test run this is: "bundle" or "executable" (scripts/test.mjs sets it). */
export const TEST_PASS = process.env.GEO_HOOK_TEST_PASS ?? 'bundle';

export interface NeedsOptions {
  /** Programs the suite starts. */
  readonly tools?: readonly string[];
  /**
   * Run only in this pass of the test run (the slow web-server suites run
   * once, against the executable); in other passes the suite is not there.
   */
  readonly onlyInPass?: string;
  /** Other things the suite needs (a Python module…): each says whether it is there and which Debian package brings it. */
  readonly also?: ReadonlyArray<{ readonly what: string; readonly debianPackage: string; present(): boolean }>;
}

/**
 * A uvu suite that runs only where its programs are. The returned object is a
 * uvu suite in every case; where a program is missing its tests are skips (or,
 * in CI, one failing test naming what is missing).
 */
export function suiteNeeding<T>(title: string, needs: NeedsOptions, context?: T): Test<T> {
  const real = suite<T>(title, context ?? ({} as T));
  if (needs.onlyInPass !== undefined && needs.onlyInPass !== TEST_PASS) return inert(real, () => {});
  const missing = (needs.tools ?? []).filter((tool) => findTool(tool) === '');
  const absent = (needs.also ?? []).filter((thing) => !thing.present());
  if (missing.length === 0 && absent.length === 0) return loudHooks(real);
  const names = [...missing, ...absent.map((thing) => thing.what)];
  const packages = [...missing.map(debianPackage), ...absent.map((thing) => thing.debianPackage)];
  const why = `${names.join(', ')} not installed (apt-get install ${packages.join(' ')}; .ci/run installs it)`;
  if (IN_CI) {
    real(`${title}: needs ${why}`, () => {
      throw new Error(`CI=true and ${why}: this suite must run in CI`);
    });
    return inert(real, () => {});
  }
  console.log(`\n  ${title}: SKIPPED, ${why}\n`);
  return inert(real, (name) => real.skip(name));
}

/**
 * uvu swallows an error thrown by a before or after hook (its runner returns
 * from a finally block) and shows the suite's tests as not passed, without a
 * word: say what broke.
 */
function loudHooks<T>(real: Test<T>): Test<T> {
  const loud = (kind: string, original: (fn: (context: T) => void | Promise<void>) => void) => (fn: (context: T) => void | Promise<void>) =>
    original(async (context: T) => {
      try {
        await fn(context);
      } catch (error) {
        console.error(`\n  ${kind} hook of "${(context as { __suite__?: string }).__suite__ ?? ''}" failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        throw error;
      }
    });
  const before = Object.assign(loud('before', real.before), { each: real.before.each });
  const after = Object.assign(loud('after', real.after), { each: real.after.each });
  return Object.assign(real, { before, after });
}

/** A suite whose tests and hooks do nothing but what `onTest` says; run() still reports it. */
function inert<T>(real: Test<T>, onTest: (name: string) => void): Test<T> {
  const noop = () => {};
  const test = ((name: string) => onTest(name)) as unknown as Test<T>;
  const hook = Object.assign(noop, { each: noop });
  return Object.assign(test, {
    before: hook,
    after: hook,
    only: (name: string) => onTest(name),
    skip: (name: string) => real.skip(name),
    run: () => real.run(),
  }) as unknown as Test<T>;
}

function debianPackage(tool: string): string {
  return ({ fusermount3: 'fuse3', script: 'bsdutils', 'redis-server': 'redis-server', 'redis-sentinel': 'redis-sentinel', apache2: 'apache2', fcgiwrap: 'fcgiwrap', htpasswd: 'apache2-utils', runuser: 'util-linux', logger: 'bsdutils' } as Record<string, string>)[tool] ?? tool;
}
