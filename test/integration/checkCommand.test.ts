import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { json, startFakeApi } from '../helpers/fakeApi.js';
import { FIXTURES, geoHookAsNobody, runGeoHook, startServe, withTempDir, writeSecret } from '../helpers/geoHook.js';
import { makeBareRepository } from '../helpers/repositories.js';
import { findTool } from '../helpers/tools.js';

test('a good installation: every check ok, exit 0', async () => {
  await withTempDir(async (dir) => {
    const secretFile = await writeSecret(dir, 'check-secret');
    const serve = await startServe(['--secret-file', secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--quiet']);
    try {
      const config = path.join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ apiUrl: serve.url, secretFile }));
      const bare = await makeBareRepository(path.join(dir, 'a.git'));
      assert.is((await runGeoHook(['install', bare, '--config', config])).code, 0);
      const result = await runGeoHook(['check', '--config', config, bare]);
      assert.is(result.stderr, '');
      assert.is(result.code, 0, result.stdout);
      const lines = result.stdout.trim().split('\n');
      assert.ok(lines.every((line) => line.startsWith('ok ')), result.stdout);
      assert.match(result.stdout, /the API accepts our token/);
      assert.match(result.stdout, /^ok {4}the API's referrer store \(memory\) answers$/m);
      // The runtime: the tests run on the pinned Node 24 (npm test), the executable embeds it.
      assert.match(result.stdout, /^ok {4}runtime node v24\.\d+\.\d+ \(supported until 2028-04-30\)$/m);
      // One host, one clock: within the Date header's whole seconds it agrees, never "1 s ahead".
      assert.match(result.stdout, /^ok {4}clock agrees with the API's \(to the Date header's whole seconds\)$/m);
      // The single executable says whether V8 took its code cache; node running the bundle has none to speak of.
      if (process.env.GEO_HOOK_TEST_TARGET === 'sea') {
        assert.match(result.stdout, /^ok {4}the executable's V8 code cache is accepted/m);
        assert.match(result.stdout, /^ok {4}the executable's V8 code cache for its commands is accepted$/m);
      }
      else assert.not.match(result.stdout, /code cache/);
      assert.match(result.stdout, /a\.git: the hook is installed, executable, runs this geo-hook, and uses config file .*config\.json$/m);
      assert.not.match(result.stdout, /check-secret/);

      if (process.env.GEO_HOOK_TEST_TARGET === 'sea') {
        // A V8 flag that changes the code V8 makes: the cache is refused, a warning (not a failure), the check still passes.
        const jitless = await runGeoHook(['check', '--config', config, bare], { env: { NODE_OPTIONS: '--jitless' } });
        assert.is(jitless.code, 0, jitless.stdout);
        assert.match(jitless.stdout, /^warn {2}the executable's V8 code cache for its commands is refused: each command compiles its code again/m);
        assert.match(jitless.stdout, /^warn {2}the executable's V8 code cache is refused: every hook run compiles its code again \(about 20 ms of each push\)\n +→ run geo-hook without V8 flags in NODE_OPTIONS/m);
      }

      await writeFile(path.join(dir, 'other'), 'another-installation');
      await chmod(path.join(dir, 'other'), 0o644);
      const wrong = await runGeoHook(['check', '--config', config, '--secret-file', path.join(dir, 'other')]);
      assert.is(wrong.code, 1);
      assert.match(wrong.stdout, /^FAIL  secret file .*other is readable by everyone \(mode 644\)\n +→ chmod o-rwx /m);
      assert.match(wrong.stdout, /^FAIL  the API refuses our token \(HTTP 401\)\n +→ make the secret file the same as the API server's$/m);
    } finally {
      await serve.stop();
    }
  });
});

test("check fails when the API's referrer store does not answer, and when the log file cannot be written", async () => {
  await withTempDir(async (dir) => {
    const secretFile = await writeSecret(dir, 'store-secret');
    // A Redis nobody listens on: serve starts (it reconnects by itself) but its store is away.
    const serve = await startServe(['--secret-file', secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--quiet', '--store', 'redis://127.0.0.1:9']);
    try {
      const config = path.join(dir, 'config.json');
      await writeFile(config, JSON.stringify({ apiUrl: serve.url, secretFile, logFile: path.join(dir, 'no-such-folder', 'hook.log') }));
      const result = await runGeoHook(['check', '--config', config]);
      assert.is(result.code, 1, result.stdout);
      assert.match(result.stdout, /^FAIL  the API's referrer store \(redis\) does not answer: pushes through a secondary get no lag message\n +→ start Redis, or correct serve's --store URL; serve reconnects by itself$/m);
      assert.match(result.stdout, /^FAIL  log file .*no-such-folder\/hook\.log cannot be written \(its folder does not exist\): the hook runs without its log\n +→ let the user git runs as write it \(this check ran as [^)]+\)$/m);
    } finally {
      await serve.stop();
    }
  });
});

test('what check says about a broken installation', async () => {
  await withTempDir(async (dir) => {
    const bare = await makeBareRepository(path.join(dir, 'b.git'));
    const result = await runGeoHook(['check', bare], { env: { GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: path.join(dir, 'none'), GEO_HOOK_TIMEOUT: '2' } });
    assert.is(result.code, 1);
    assert.match(result.stdout, /^FAIL  secret file .*none does not exist$/m);
    assert.match(result.stdout, /^FAIL  .*b\.git: geo-hook is not installed\n +→ geo-hook install /m);
    const unreachable = await runGeoHook(['check'], { env: { GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_TIMEOUT: '2' } });
    assert.match(unreachable.stdout, /^FAIL  cannot reach the API at http:\/\/127.0.0.1:9\/api\/v4\/internal\/check: connection refused/m);
    const badConfig = await runGeoHook(['check'], { env: { GEO_HOOK_TIMEOUT: 'never' } });
    assert.match(badConfig.stdout, /^FAIL  configuration: GEO_HOOK_TIMEOUT "never" is not a number/m);
  });
});

test('a clock far from the API is a failure, a little off a warning', async () => {
  for (const [offset, mark] of [[90, 'FAIL'], [45, 'warn']] as const) {
    await withTempDir(async (dir) => {
      const api = await startFakeApi((_, response) => {
        response.setHeader('date', new Date(Date.now() + offset * 1000).toUTCString());
        json(response, 200, { api_version: 'v4' });
      });
      try {
        const result = await runGeoHook(['check'], { env: { GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: await writeSecret(dir) } });
        assert.match(result.stdout, new RegExp(`^${mark}  clock is (${offset - 1}|${offset}|${offset + 1}) s behind the API's\\n +→ synchronise the clocks`, 'm'));
        assert.is(result.code, mark === 'FAIL' ? 1 : 0);
      } finally {
        await api.close();
      }
    });
  }
});

test('check never creates the log: it says whether the hook could, and leaves the file to the user who will write it', async () => {
  await withTempDir(async (dir) => {
    const log = path.join(dir, 'hook.log');
    const env = { GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_LOG_FILE: log };
    const result = await runGeoHook(['check'], { env });
    assert.match(result.stdout, /^ok {4}log file .*hook\.log is not there yet: the hook will create it \([^)]+ can write .*\)$/m);
    assert.is(existsSync(log), false, 'check created the log');
    await writeFile(log, '');
    assert.match((await runGeoHook(['check'], { env })).stdout, /^ok {4}log file .*hook\.log can be written$/m);
  });
});

test('a misspelt key: check names it and the key it should be; an unknown one, that it should go', async () => {
  await withTempDir(async (dir) => {
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ apiUrl: 'http://127.0.0.1:9', secretFlie: 'x' }));
    const misspelt = await runGeoHook(['check', '--json', '--config', config]);
    const fail = (JSON.parse(misspelt.stdout) as { results: Array<{ status: string; fix?: string }> }).results.find((entry) => entry.status === 'fail');
    assert.is(fail?.fix, 'rename the key "secretFlie" to "secretFile"');
    await writeFile(config, JSON.stringify({ apiUrl: 'http://127.0.0.1:9', frobnicate: 1 }));
    const unknown = await runGeoHook(['check', '--json', '--config', config]);
    const failed = (JSON.parse(unknown.stdout) as { results: Array<{ status: string; fix?: string }> }).results.find((entry) => entry.status === 'fail');
    assert.is(failed?.fix, 'remove the key "frobnicate": geo-hook knows no such key (geo-hook post-receive --help lists them)');
  });
});

test('--json: one object for monitoring, the same verdicts and exit status', async () => {
  await withTempDir(async (dir) => {
    const missing = path.join(dir, 'no-secret');
    const result = await runGeoHook(['check', '--json'], { env: { GEO_HOOK_API_URL: 'http://127.0.0.1:9', GEO_HOOK_SECRET_FILE: missing } });
    assert.equal([result.code, result.stderr], [1, '']);
    const report = JSON.parse(result.stdout) as { ok: boolean; user: string; results: Array<{ status: string; what: string; fix?: string }> };
    assert.is(report.ok, false);
    assert.is(typeof report.user, 'string');
    assert.ok(report.results.some((entry) => entry.status === 'ok' && entry.what === 'API URL http://127.0.0.1:9'));
    assert.equal(
      report.results.find((entry) => entry.status === 'fail'),
      { status: 'fail', what: `secret file ${missing} does not exist`, fix: 'copy the shared secret from the API server there' },
    );
    assert.is(result.stdout.split('\n').length, 2, 'one line');
  });
});

test('--as-user: the check runs as the user git runs the hook as, and finds the secret that user cannot read', async () => {
  if (process.getuid?.() !== 0) {
    // Only root can become another user: said in one line.
    const refused = await runGeoHook(['check', '--as-user', 'nobody']);
    assert.equal([refused.code, refused.stdout], [2, '']);
    assert.match(refused.stderr, /^geo-hook: only root can check as another user: /);
    return;
  }
  await withTempDir(async (dir) => {
    const secretFile = await writeSecret(dir, 'as-user-secret');
    await chmod(dir, 0o755);
    await chmod(secretFile, 0o600);
    const serve = await startServe(['--secret-file', secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--quiet']);
    try {
      // A geo-hook nobody can run (the checkout's own folders may be private); runuser is the test's to prepend.
      const [setpriv, args] = await geoHookAsNobody(dir);
      const command: [string, string[]] = setpriv === 'setpriv' ? [args[args.indexOf('--') + 1]!, args.slice(args.indexOf('--') + 2)] : [setpriv, args];
      const env = { GEO_HOOK_API_URL: serve.url, GEO_HOOK_SECRET_FILE: secretFile };
      const asRoot = await runGeoHook(['check'], { env, command });
      assert.is(asRoot.code, 0, asRoot.stdout);
      const asNobody = await runGeoHook(['check', '--as-user', 'nobody'], { env, command });
      assert.is(asNobody.code, 1, asNobody.stdout + asNobody.stderr);
      assert.match(asNobody.stdout, /^check run as user nobody:\n/);
      assert.match(asNobody.stdout, new RegExp(`^FAIL  secret file ${secretFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read by this user \\(permission denied\\)$`, 'm'));
      const json = await runGeoHook(['check', '--as-user', 'nobody', '--json'], { env, command });
      assert.is((JSON.parse(json.stdout) as { user: string }).user, 'nobody');
      // runuser keeps the environment it is given: the check gives it only PATH, HOME, LANG and GEO_HOOK_*.
      // A runuser first on PATH writes down what it was given, then is the real one.
      const spy = path.join(dir, 'spy');
      await mkdir(spy);
      await writeFile(path.join(spy, 'runuser'), `#!/bin/sh\nenv > ${path.join(dir, 'runuser-env')}\nexec ${findTool('runuser')} "$@"\n`, { mode: 0o755 });
      const spied = await runGeoHook(['check', '--as-user', 'nobody'], {
        env: { ...env, PATH: `${spy}:${process.env.PATH}`, ROOT_ONLY_TOKEN: 'root-only-4b1d', LANG: 'C.UTF-8', GEO_HOOK_TIMEOUT: '7' },
        command,
      });
      assert.is(spied.code, 1, spied.stdout + spied.stderr);
      const given = (await readFile(path.join(dir, 'runuser-env'), 'utf8')).trim().split('\n').map((line) => line.split('=')[0]!).sort();
      assert.equal(given.filter((name) => !['PWD', 'SHLVL', '_', 'OLDPWD'].includes(name)), ['GEO_HOOK_API_URL', 'GEO_HOOK_SECRET_FILE', 'GEO_HOOK_TIMEOUT', 'HOME', 'LANG', 'PATH']);
      assert.not.match(await readFile(path.join(dir, 'runuser-env'), 'utf8'), /root-only-4b1d/);
      const unknown = await runGeoHook(['check', '--as-user', 'no-such-user-here'], { env, command });
      assert.equal([unknown.code, unknown.stdout], [2, '']);
      assert.match(unknown.stderr, /^geo-hook: cannot run the check as no-such-user-here: user no-such-user-here does not exist/);
    } finally {
      await serve.stop();
    }
  });
});

test.run();
