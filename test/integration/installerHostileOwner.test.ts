import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, lstat, mkdir, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { NOBODY, geoHookAsNobody, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';
import { makeBareRepository, snapshot } from '../helpers/repositories.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * Root runs install, uninstall and check over repositories their users own.
 * Each repository here belongs to nobody, who has planted what an attacker
 * would; every test is judged by what happened outside the repository.
 */
const test = suiteNeeding('install, uninstall and check as root over a repository nobody owns', {
  tools: ['setpriv', 'mkfifo'],
  also: [{ what: 'root (these tests act as root on a repository of nobody)', debianPackage: 'none: run the tests as root', present: () => process.getuid?.() === 0 }],
});

interface Site {
  readonly dir: string;
  readonly config: string;
  /** geo-hook as root runs it: a copy nobody can run too, since install runs it again as the owner. */
  readonly command: [string, string[]];
  /** Root's own files, which nobody can write: nothing may change in them. */
  readonly victim: string;
}

async function withSite(run: (site: Site) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    await chmod(dir, 0o755);
    const [setpriv, args] = await geoHookAsNobody(dir);
    const command: [string, string[]] = setpriv === 'setpriv' ? [args[args.indexOf('--') + 1]!, args.slice(args.indexOf('--') + 2)] : [setpriv, args];
    const config = path.join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ apiUrl: 'http://127.0.0.1:9', secretFile: await writeSecret(dir), timeout: 2 }));
    const victim = path.join(dir, 'root-owned');
    await mkdir(path.join(victim, 'cron.daily'), { recursive: true, mode: 0o755 });
    await writeFile(path.join(victim, 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n', { mode: 0o644 });
    await writeFile(path.join(victim, 'cron.daily', '00-original-post-receive'), '#!/bin/sh\necho root job\n', { mode: 0o755 });
    await run({ dir, config, command, victim });
  });
}

/** A bare repository of nobody's, after `plant` has put its things in it (as nobody would). */
async function nobodysRepository(site: Site, name: string, plant: (repo: string) => Promise<void> = async () => {}): Promise<string> {
  const repo = await makeBareRepository(path.join(site.dir, 'repos', name));
  await chmod(path.dirname(repo), 0o755);
  await plant(repo);
  execFileSync('chown', ['-R', '-h', `${NOBODY.uid}:${NOBODY.gid}`, repo]);
  return repo;
}

const geoHook = (site: Site, args: string[]) => runGeoHook(args, { command: site.command, killAfterMs: 30_000 });

/** The run ended with one failed line for the repository, naming what is wrong, and exit status 1. */
function refused(result: { code: number | null; stdout: string }, repo: string, why: RegExp) {
  assert.is(result.code, 1, result.stdout);
  const line = result.stdout.split('\n').find((entry) => entry.includes(repo));
  assert.ok(line !== undefined, result.stdout);
  assert.match(line!, /^failed +/);
  assert.match(line!, why);
}

test('hooks/geo-hook.json a link to a root file: install refuses the repository and the file is untouched', async () => {
  await withSite(async (site) => {
    const before = await snapshot(site.victim);
    const repo = await nobodysRepository(site, 'manifest-link.git', async (r) => symlink(path.join(site.victim, 'passwd'), path.join(r, 'hooks/geo-hook.json')));
    const result = await geoHook(site, ['install', repo, '--config', site.config]);
    refused(result, repo, /hooks\/geo-hook\.json is a symbolic link/);
    assert.equal(await snapshot(site.victim), before);
  });
});

test("nobody's hook and post-receive.d a link to a root folder: no hard link to nobody's executable appears there", async () => {
  await withSite(async (site) => {
    const cron = path.join(site.victim, 'cron.daily');
    await rm(path.join(cron, '00-original-post-receive'));
    const before = await snapshot(site.victim);
    const repo = await nobodysRepository(site, 'chain-link.git', async (r) => {
      await writeFile(path.join(r, 'hooks/post-receive'), '#!/bin/sh\nid > /tmp/pwned\n', { mode: 0o755 });
      await symlink(cron, path.join(r, 'hooks/post-receive.d'));
    });
    const result = await geoHook(site, ['install', repo, '--config', site.config]);
    refused(result, repo, /hooks\/post-receive\.d is a symbolic link/);
    assert.equal(await readdir(cron), []);
    assert.equal(await snapshot(site.victim), before);
  });
});

test('hooks itself a link to a root folder: install writes nothing there', async () => {
  await withSite(async (site) => {
    const before = await snapshot(site.victim);
    const repo = await nobodysRepository(site, 'hooks-link.git', async (r) => {
      await rm(path.join(r, 'hooks'), { recursive: true });
      await symlink(path.join(site.victim, 'cron.daily'), path.join(r, 'hooks'));
    });
    refused(await geoHook(site, ['install', repo, '--config', site.config]), repo, /hooks is a symbolic link/);
    refused(await geoHook(site, ['uninstall', repo]), repo, /hooks is a symbolic link/);
    assert.equal(await snapshot(site.victim), before);
  });
});

test("uninstall after nobody edited the manifest and linked post-receive.d to a root folder: root's file stays; a hooks link to another repository's hooks uninstalls nothing there", async () => {
  await withSite(async (site) => {
    const before = await snapshot(site.victim);
    const repo = await nobodysRepository(site, 'edited.git');
    const install = await geoHook(site, ['install', repo, '--config', site.config]);
    assert.is(install.code, 0, install.stdout + install.stderr);
    // Now, as nobody would: a manifest claiming an original hook, and post-receive.d pointing at root's folder.
    const manifest = JSON.parse(await readFile(path.join(repo, 'hooks/geo-hook.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(path.join(repo, 'hooks/geo-hook.json'), JSON.stringify({ ...manifest, original: { symlinkTarget: null }, createdChainDir: true }));
    await symlink(path.join(site.victim, 'cron.daily'), path.join(repo, 'hooks/post-receive.d'));
    execFileSync('chown', ['-R', '-h', `${NOBODY.uid}:${NOBODY.gid}`, repo]);
    refused(await geoHook(site, ['uninstall', repo]), repo, /hooks\/post-receive\.d is a symbolic link/);
    assert.equal(await snapshot(site.victim), before);

    const other = await nobodysRepository(site, 'other.git');
    assert.is((await geoHook(site, ['install', other, '--config', site.config])).code, 0);
    const otherBefore = await snapshot(path.join(other, 'hooks'));
    const borrower = await nobodysRepository(site, 'borrower.git', async (r) => {
      await rm(path.join(r, 'hooks'), { recursive: true });
      await symlink(path.join(other, 'hooks'), path.join(r, 'hooks'));
    });
    refused(await geoHook(site, ['uninstall', borrower]), borrower, /hooks is a symbolic link/);
    assert.equal(await snapshot(path.join(other, 'hooks')), otherBefore);
  });
});

test('FIFOs and /dev/zero where files should be: install and check end at once with a line each, and --recursive does the rest', async () => {
  await withSite(async (site) => {
    const fifoConfig = await nobodysRepository(site, 'fifo-config.git', async (r) => {
      await rm(path.join(r, 'config'));
      execFileSync('mkfifo', [path.join(r, 'config')]);
    });
    const fifoHook = await nobodysRepository(site, 'fifo-hook.git', async (r) => {
      execFileSync('mkfifo', [path.join(r, 'hooks/post-receive')]);
    });
    const zero = await nobodysRepository(site, 'zero.git', async (r) => symlink('/dev/zero', path.join(r, 'hooks/geo-hook.json')));
    const good = await nobodysRepository(site, 'good.git');

    const started = Date.now();
    refused(await geoHook(site, ['install', fifoConfig, '--config', site.config]), fifoConfig, /config is a FIFO, not a file/);
    refused(await geoHook(site, ['install', fifoHook, '--config', site.config]), fifoHook, /hooks\/post-receive is a FIFO/);
    refused(await geoHook(site, ['install', zero, '--config', site.config]), zero, /hooks\/geo-hook\.json is a symbolic link/);
    const check = await geoHook(site, ['check', '--config', site.config, fifoHook]);
    assert.is(check.code, 1);
    assert.match(check.stdout, /FAIL {2}.*fifo-hook\.git: hooks\/post-receive is a FIFO, not a hook/);

    const sweep = await geoHook(site, ['install', '--recursive', path.join(site.dir, 'repos'), '--config', site.config]);
    assert.is(sweep.code, 1, sweep.stdout);
    assert.match(sweep.stdout, /^installed +.*good\.git$/m);
    assert.match(sweep.stdout, /^failed +.*fifo-config\.git \(config is a FIFO, not a file\)$/m);
    assert.match(sweep.stdout, /^4 repositories: 1 installed, 3 failed$/m);
    // Each of these waited on nothing: six runs of geo-hook, a few seconds in all on a slow machine.
    assert.ok(Date.now() - started < 25_000, `${Date.now() - started} ms`);
    assert.match(await readFile(path.join(good, 'hooks/post-receive'), 'utf8'), /installed by geo-hook/);
  });
});

test("the files install writes in nobody's repository are nobody's: root did the work as the owner", async () => {
  await withSite(async (site) => {
    const repo = await nobodysRepository(site, 'owned.git', async (r) => writeFile(path.join(r, 'hooks/post-receive'), '#!/bin/sh\necho original\n', { mode: 0o755 }));
    const install = await geoHook(site, ['install', repo, '--config', site.config]);
    assert.is(install.code, 0, install.stdout + install.stderr);
    for (const file of ['hooks/post-receive', 'hooks/geo-hook.json', 'hooks/post-receive.d', 'hooks/post-receive.d/00-original-post-receive']) {
      const info = await lstat(path.join(repo, file));
      assert.equal([file, info.uid, info.gid], [file, NOBODY.uid, NOBODY.gid]);
    }
    const uninstall = await geoHook(site, ['uninstall', repo]);
    assert.is(uninstall.code, 0, uninstall.stdout);
    assert.is(await readFile(path.join(repo, 'hooks/post-receive'), 'utf8'), '#!/bin/sh\necho original\n');
  });
});

test("a shared hook linked in by the operator, outside nobody's reach, is kept as a link and still runs", async () => {
  await withSite(async (site) => {
    const shared = path.join(site.dir, 'root-only');
    await mkdir(shared, { mode: 0o700 });
    const marker = path.join(site.dir, 'shared-hook-ran');
    await writeFile(path.join(shared, 'post-receive'), `#!/bin/sh\ncat > ${marker}\n`, { mode: 0o755 });
    const repo = await nobodysRepository(site, 'shared.git', async (r) => symlink(path.join(shared, 'post-receive'), path.join(r, 'hooks/post-receive')));
    const install = await geoHook(site, ['install', repo, '--config', site.config]);
    assert.is(install.code, 0, install.stdout + install.stderr);
    assert.is(await readlink(path.join(repo, 'hooks/post-receive.d/00-original-post-receive')), path.join(shared, 'post-receive'));
    // git runs the hook as the server's user (here root, who can reach the shared hook): the chain runs it with the ref updates.
    const line = `${'0'.repeat(40)} ${'a'.repeat(40)} refs/heads/main\n`;
    const ran = spawnSync(path.join(repo, 'hooks/post-receive'), { input: line, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, encoding: 'utf8', timeout: 20_000 });
    assert.is(ran.status === null ? 'killed' : 'ended', 'ended');
    assert.is(await readFile(marker, 'utf8'), line);
    const uninstall = await geoHook(site, ['uninstall', repo]);
    assert.is(uninstall.code, 0, uninstall.stdout);
    assert.is(await readlink(path.join(repo, 'hooks/post-receive')), path.join(shared, 'post-receive'));
  });
});

test('names from disk reach root\'s terminal in caret form: install and check', async () => {
  await withSite(async (site) => {
    const name = 'evil\x1b]0;title\x07\x1b[2J.git';
    const repo = await nobodysRepository(site, name);
    const install = await geoHook(site, ['install', '--recursive', path.join(site.dir, 'repos'), '--config', site.config]);
    assert.is(install.code, 0, install.stdout);
    assert.not.match(install.stdout + install.stderr, /[\x1b\x07]/);
    assert.ok(install.stdout.includes('evil^[]0;title^G^[[2J.git'), install.stdout);
    const check = await geoHook(site, ['check', '--config', site.config, repo]);
    assert.not.match(check.stdout + check.stderr, /[\x1b\x07]/);
    assert.ok(check.stdout.includes('evil^[]0;title^G^[[2J.git'), check.stdout);
    const json = await geoHook(site, ['check', '--json', '--config', site.config, repo]);
    assert.not.match(json.stdout, /[\x1b\x07\x9b]/);
    assert.ok((JSON.parse(json.stdout) as { results: Array<{ what: string }> }).results.some((entry) => entry.what.includes(name)));
  });
});

test.run();
