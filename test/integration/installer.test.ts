import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { remoteText } from '../../src/lab/readPushOutput.js';
import { json, startFakeApi } from '../helpers/fakeApi.js';
import { cleanEnv, copyGeoHook, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';
import { makeBareRepository, makeWorkRepository, snapshot } from '../helpers/repositories.js';

const ORIGINAL = '#!/bin/sh\necho "original hook ran as $0 with GL_ID=$GL_ID"\nwhile read old new ref; do echo "original saw $ref"; done\n';

/** A real push into a bare repository (git runs its hooks), with the hook environment a server would set. */
async function push(work: string, bare: string, branch: string, env: Record<string, string>) {
  const git = await (async () => {
    const repo = simpleGit(work).env(cleanEnv(env));
    await writeFile(path.join(work, `${branch}.txt`), `${branch}\n`);
    await repo.add('.');
    await repo.commit(branch);
    return repo;
  })();
  let stderr = '';
  await git.outputHandler((_c, _o, errors) => errors.on('data', (chunk: Buffer) => (stderr += chunk))).push(bare, `HEAD:refs/heads/${branch}`);
  return remoteText(stderr);
}

async function setUp(dir: string, messages = [{ type: 'basic', message: 'from geo-hook' }]) {
  const api = await startFakeApi((_, response) => json(response, 200, { reference_counter_decreased: true, messages }));
  const config = path.join(dir, 'geo-hook.json');
  await writeFile(config, JSON.stringify({ apiUrl: api.url, secretFile: await writeSecret(dir), timeout: 5 }));
  const work = path.join(dir, 'work');
  await makeWorkRepository(work);
  return { api, config, work };
}

/** A bare repository with a post-receive hook of its own, then geo-hook installed over it. */
async function withOriginalHook(dir: string, name: string, config: string) {
  const bare = await makeBareRepository(path.join(dir, name));
  await writeFile(path.join(bare, 'hooks/post-receive'), ORIGINAL, { mode: 0o755 });
  return { bare, install: await runGeoHook(['install', bare, '--config', config]) };
}

test('install keeps an existing hook: both run on a real push, with the same input and environment', async () => {
  await withTempDir(async (dir) => {
    const { api, config, work } = await setUp(dir);
    try {
      const { bare, install } = await withOriginalHook(dir, 'a.git', config);
      assert.is(install.code, 0, install.stderr);
      assert.match(install.stdout, /^installed +.*a\.git \(the hook that was there now runs after geo-hook/m);
      assert.match(install.stdout, /^1 repository: 1 installed$/m);
      const seen = await push(work, bare, 'one', { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2' });
      assert.is(seen, '\nfrom geo-hook\n\noriginal hook ran as hooks/post-receive.d/00-original-post-receive with GL_ID=key-42\noriginal saw refs/heads/one');
      assert.is(api.seen.length, 1);
      assert.match(JSON.parse(api.seen[0]!.body).changes, /refs\/heads\/one\n$/);
      assert.is(JSON.parse(api.seen[0]!.body).geo_node_id, 2);
    } finally {
      await api.close();
    }
  });
});

test('the installed hook uses its config file with no environment of its own, and the kept hook still runs when geo-hook fails', async () => {
  await withTempDir(async (dir) => {
    const { api, config, work } = await setUp(dir);
    try {
      const { bare, install } = await withOriginalHook(dir, 'b.git', config);
      assert.is(install.code, 0);
      // No GL_ID: geo-hook says so in one line; the original hook still runs.
      const seen = await push(work, bare, 'two', {});
      assert.match(seen, /^geo-hook: GL_ID is not set/m);
      assert.match(seen, /original saw refs\/heads\/two/);
      assert.is(api.seen.length, 0);
    } finally {
      await api.close();
    }
  });
});

test('install twice changes nothing; uninstall restores exactly what was there (file, relative symlink, none)', async () => {
  await withTempDir(async (dir) => {
    const { api, config } = await setUp(dir);
    try {
      const withFile = await makeBareRepository(path.join(dir, 'file.git'));
      await writeFile(path.join(withFile, 'hooks/post-receive'), ORIGINAL, { mode: 0o750 });
      const withLink = await makeBareRepository(path.join(dir, 'link.git'));
      await mkdir(path.join(dir, 'shared'));
      await writeFile(path.join(dir, 'shared/hook'), ORIGINAL, { mode: 0o755 });
      await symlink('../../shared/hook', path.join(withLink, 'hooks/post-receive'));
      const withNone = await makeBareRepository(path.join(dir, 'none.git'));
      const repos = [withFile, withLink, withNone];
      const before = await Promise.all(repos.map((repo) => snapshot(path.join(repo, 'hooks'))));

      assert.match((await runGeoHook(['install', ...repos, '--config', config])).stdout, /3 repositories: 3 installed/);
      const installed = await Promise.all(repos.map((repo) => snapshot(path.join(repo, 'hooks'))));
      const again = await runGeoHook(['install', ...repos, '--config', config]);
      assert.match(again.stdout, /3 repositories: 3 unchanged/);
      assert.equal(await Promise.all(repos.map((repo) => snapshot(path.join(repo, 'hooks')))), installed);
      // The moved relative symlink still reaches its target.
      assert.is(await readFile(path.join(withLink, 'hooks/post-receive.d/00-original-post-receive'), 'utf8'), ORIGINAL);

      const uninstall = await runGeoHook(['uninstall', ...repos]);
      assert.is(uninstall.code, 0);
      assert.match(uninstall.stdout, /3 repositories: 3 uninstalled/);
      assert.equal(await Promise.all(repos.map((repo) => snapshot(path.join(repo, 'hooks')))), before);
      assert.match((await runGeoHook(['uninstall', ...repos])).stdout, /3 repositories: 3 unchanged/);
    } finally {
      await api.close();
    }
  });
});

test('--recursive finds every bare repository under folders; failures are one line each, the rest done, exit 1', async () => {
  await withTempDir(async (dir) => {
    const root = path.join(dir, 'repositories');
    const repos: string[] = [];
    for (let i = 0; i < 30; i++) repos.push(await makeBareRepository(path.join(root, `group-${i % 3}`, `project-${i}.git`)));
    await makeWorkRepository(path.join(root, 'group-0', 'a-work-tree'));
    const broken = await makeBareRepository(path.join(root, 'group-1', 'broken.git'));
    await rm(path.join(broken, 'hooks'), { recursive: true });
    await writeFile(path.join(broken, 'hooks'), 'not a folder');
    // One that only fails when written to (as root, permissions would not stop us).
    const unwritable = await makeBareRepository(path.join(root, 'group-2', 'unwritable.git'));
    await mkdir(path.join(unwritable, 'hooks', 'geo-hook.json'));

    const dry = await runGeoHook(['install', '--recursive', root, '--dry-run']);
    assert.match(dry.stdout, /^dry run, nothing changed: would have 32 repositories: 31 installed, 1 failed$/m);
    assert.match(dry.stdout, /would be installed .*project-0\.git: write hooks\/geo-hook.json, write hooks\/post-receive/);

    const result = await runGeoHook(['install', '-r', root]);
    assert.is(result.code, 1);
    assert.match(result.stdout, /^failed +.*broken\.git \(hooks is not a folder\)$/m);
    assert.match(result.stdout, /^failed +.*unwritable\.git \(cannot change its hooks: .*\)$/m);
    assert.match(result.stdout, /^32 repositories: 30 installed, 2 failed$/m);
    // Nothing on stderr but, where the checkout itself is private, the warning that git's user could not run it.
    assert.is(result.stderr.split('\n').filter((line) => line !== '' && !/^geo-hook: warning: .* cannot be entered by other users: git runs the hook as/.test(line)).join('\n'), '');
    for (const repo of repos) assert.match(await readFile(path.join(repo, 'hooks/post-receive'), 'utf8'), /geo-hook: installed by geo-hook/);

    const notBare = await runGeoHook(['install', path.join(root, 'group-0', 'a-work-tree'), repos[0]!]);
    assert.match(notBare.stdout, /^failed +.*a-work-tree \(not a bare repository\)$/m);
    assert.is(notBare.code, 1);
    const uninstall = await runGeoHook(['uninstall', '-r', root]);
    assert.match(uninstall.stdout, /30 uninstalled/);
  });
});

test("install refuses a command inside npx's cache (with the way out), and --force installs it anyway", async () => {
  await withTempDir(async (dir) => {
    const bare = await makeBareRepository(path.join(dir, 'n.git'));
    // geo-hook as npx leaves it: under ~/.npm/_npx/<hash>/node_modules.
    const cached = path.join(dir, '.npm/_npx/0123abcd/node_modules/geo-hook/dist');
    await mkdir(cached, { recursive: true });
    const npx = await copyGeoHook(cached);

    const refused = await runGeoHook(['install', bare], { command: npx });
    assert.equal([refused.code, refused.stdout], [2, '']);
    assert.match(refused.stderr, /^geo-hook: the hook would run .*_npx.*, inside npm's cache \(npx\), which is emptied without warning: install geo-hook for good .* or pass --force\n$/);
    assert.not.ok(existsSync(path.join(bare, 'hooks/geo-hook.json')), 'nothing installed');

    const forced = await runGeoHook(['install', bare, '--force'], { command: npx });
    assert.is(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /^geo-hook: warning: the hook would run .*_npx/m);
    assert.match(await readFile(path.join(bare, 'hooks/post-receive'), 'utf8'), /_npx/);
  });
});

test("install warns when git's user could not run the command, and says who must", async () => {
  await withTempDir(async (dir) => {
    const bare = await makeBareRepository(path.join(dir, 'w.git'));
    const own = path.join(dir, 'private');
    await mkdir(own, { mode: 0o700 });
    await chmod(dir, 0o755);
    const privateCommand = await copyGeoHook(own);
    const name = path.basename(privateCommand[1].at(-1) ?? privateCommand[0]);
    const result = await runGeoHook(['install', bare], { command: privateCommand });
    assert.is(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`^geo-hook: warning: ${own.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(holding ${name.replace('.', '\\.')}\\) cannot be entered by other users: git runs the hook as the user that runs git`, 'm'));
  });
});

test('install refuses, in one line and changing nothing, a config the hook could not use; --force installs anyway', async () => {
  await withTempDir(async (dir) => {
    const bare = await makeBareRepository(path.join(dir, 'c.git'));
    const before = await snapshot(bare);
    const secret = await writeSecret(dir);
    const cases: Array<[string, string, RegExp]> = [
      ['missing.json', '', /^geo-hook: config file .*missing\.json does not exist: nothing was installed \(fix it, or --force to install anyway\)\n$/],
      ['broken.json', '{ "apiUrl": "http://a", ', /^geo-hook: config file .*broken\.json is not valid JSON \(line 1, column 2\d\): nothing was installed/],
      ['typo.json', JSON.stringify({ secretFlie: secret }), /^geo-hook: config file .*typo\.json: unknown key "secretFlie" \(did you mean "secretFile"\?\): nothing was installed/],
      ['nosecret.json', JSON.stringify({ apiUrl: 'http://127.0.0.1:1' }), /^geo-hook: config file .*nosecret\.json names no "secretFile": the hook could not sign its calls: nothing was installed/],
      ['gone.json', JSON.stringify({ secretFile: 'gone-secret' }), /^geo-hook: secret file .*gone-secret does not exist: nothing was installed/],
      ['empty.json', JSON.stringify({ secretFile: 'empty-secret' }), /^geo-hook: secret file .*empty-secret is empty: nothing was installed/],
    ];
    await writeFile(path.join(dir, 'empty-secret'), '\n');
    for (const [name, text, said] of cases) {
      if (text !== '') await writeFile(path.join(dir, name), text);
      const refused = await runGeoHook(['install', bare, '--config', path.join(dir, name)]);
      assert.equal([refused.code, refused.stdout], [2, ''], name);
      assert.match(refused.stderr, said, name);
      assert.is(refused.stderr.split('\n').length, 2, `${name}: one line`);
      assert.equal(await snapshot(bare), before, `${name}: nothing changed`);
    }
    const forced = await runGeoHook(['install', bare, '--config', path.join(dir, 'nosecret.json'), '--force']);
    assert.is(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /^geo-hook: warning: config file .*nosecret\.json names no "secretFile": the hook could not sign its calls: installing anyway \(--force\)$/m);
    assert.match(await readFile(path.join(bare, 'hooks/post-receive'), 'utf8'), /nosecret\.json/);
    await chmod(bare, 0o755);
  });
});

test('a push that did not come through a front end tells the pusher so, in one line, and the push still lands', async () => {
  await withTempDir(async (dir) => {
    const { api, config, work } = await setUp(dir);
    try {
      const bare = await makeBareRepository(path.join(dir, 'plain.git'));
      assert.is((await runGeoHook(['install', bare, '--config', config])).code, 0);
      // No GL_ID, no GL_REPOSITORY: a push straight into the repository, as over ssh without gitlab-shell.
      const seen = await push(work, bare, 'direct', {});
      assert.is(seen, "geo-hook: GL_ID is not set: this push did not come through a front end that sets it (the server's web server or gitlab-shell): tell the server's operator");
      assert.is(api.seen.length, 0, 'nothing sent');
      const landed = await simpleGit(bare).raw(['rev-parse', 'refs/heads/direct']);
      assert.match(landed, /^[0-9a-f]{40}\n$/);
    } finally {
      await api.close();
    }
  });
});

test('--recursive on a folder that does not exist: one line, nothing changed; a folder with no repository is not counted as one', async () => {
  await withTempDir(async (dir) => {
    const bare = await makeBareRepository(path.join(dir, 'repos', 'a.git'));
    const missing = path.join(dir, 'no-such-folder');
    const result = await runGeoHook(['install', '--recursive', path.join(dir, 'repos'), missing]);
    assert.equal([result.code, result.stdout, result.stderr], [2, '', `geo-hook: ${missing} does not exist: nothing was changed\n`]);
    assert.not.ok(existsSync(path.join(bare, 'hooks/geo-hook.json')), 'nothing installed in the folder that was there');
    await mkdir(path.join(dir, 'empty'));
    const empty = await runGeoHook(['install', '--recursive', path.join(dir, 'repos'), path.join(dir, 'empty')]);
    assert.is(empty.code, 1);
    assert.match(empty.stdout, /^failed +.*empty \(no bare repository under it\)$/m);
    assert.match(empty.stdout, /^1 repository: 1 installed; 1 folder without a bare repository$/m);
  });
});

test('uninstall keeps a hook edited after install (and says where); install over an edited hook keeps it too', async () => {
  await withTempDir(async (dir) => {
    const { api, config } = await setUp(dir);
    try {
      const bare = await makeBareRepository(path.join(dir, 'e.git'));
      assert.is((await runGeoHook(['install', bare, '--config', config])).code, 0);
      const hook = path.join(bare, 'hooks/post-receive');
      const edited = `${await readFile(hook, 'utf8')}# the operator's own line\n`;
      await writeFile(hook, edited);
      const removed = await runGeoHook(['uninstall', bare]);
      assert.is(removed.code, 0, removed.stderr);
      assert.match(removed.stdout, /^uninstalled +.*e\.git \(hooks\/post-receive had been edited by hand: kept as hooks\/post-receive\.edited\)$/m);
      assert.is(await readFile(path.join(bare, 'hooks/post-receive.edited'), 'utf8'), edited);
      assert.not.ok(existsSync(hook), 'geo-hook itself is gone');

      // Installed again, edited again, then installed with another config: the edit is not overwritten silently.
      await rm(path.join(bare, 'hooks/post-receive.edited'));
      assert.is((await runGeoHook(['install', bare, '--config', config])).code, 0);
      await writeFile(hook, `${await readFile(hook, 'utf8')}# edited again\n`);
      const other = path.join(dir, 'other.json');
      await writeFile(other, await readFile(config, 'utf8'));
      const updated = await runGeoHook(['install', bare, '--config', other]);
      assert.match(updated.stdout, /^updated +.*e\.git \(hooks\/post-receive had been edited by hand: kept as hooks\/post-receive\.edited\)$/m);
      assert.match(await readFile(path.join(bare, 'hooks/post-receive.edited'), 'utf8'), /# edited again\n$/);
      // Now unedited: uninstall removes it and keeps nothing more.
      const clean = await runGeoHook(['uninstall', bare]);
      assert.match(clean.stdout, /^uninstalled +.*e\.git$/m);
    } finally {
      await api.close();
    }
  });
});

test('install without --config keeps the config a hook was installed with; check reads the config each installed hook really uses', async () => {
  await withTempDir(async (dir) => {
    const { api, config, work } = await setUp(dir);
    try {
      const bare = await makeBareRepository(path.join(dir, 'repos', 'kept.git'));
      assert.is((await runGeoHook(['install', bare, '--config', config])).code, 0);
      // The easy mistake when adding repositories: the same install without --config.
      const again = await runGeoHook(['install', bare]);
      assert.is(again.code, 0, again.stdout + again.stderr);
      assert.match(again.stdout, new RegExp(`^unchanged +.*kept\\.git \\(already installed; kept its config file ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`, 'm'));
      assert.match(await readFile(path.join(bare, 'hooks/post-receive'), 'utf8'), /^GEO_HOOK_CONFIG=/m);
      assert.is((await push(work, bare, 'kept', { GL_ID: 'key-42', GL_REPOSITORY: 'project-7' })).trim(), 'from geo-hook');

      // check, given no --config, judges the config the hook names.
      const good = await runGeoHook(['check', bare]);
      assert.match(good.stdout, /^ok {4}.*kept\.git: the hook is installed, executable, runs this geo-hook, and uses config file .*geo-hook\.json$/m);
      await writeFile(config, '{"apiUrl": ');
      const broken = await runGeoHook(['check', bare]);
      assert.is(broken.code, 1);
      assert.match(broken.stdout, /^FAIL {2}.*kept\.git: the hook's config file .*geo-hook\.json: config file .*geo-hook\.json is not valid JSON/m);

      // check --recursive: every repository under the folder.
      const other = await makeBareRepository(path.join(dir, 'repos', 'group', 'bare-only.git'));
      const swept = await runGeoHook(['check', '--recursive', path.join(dir, 'repos')]);
      assert.is(swept.code, 1);
      assert.match(swept.stdout, /kept\.git: the hook's config file/);
      assert.ok(swept.stdout.includes(`${other}: geo-hook is not installed`), swept.stdout);
    } finally {
      await api.close();
    }
  });
});

test.run();
