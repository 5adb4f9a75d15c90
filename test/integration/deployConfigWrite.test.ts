import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { FIXTURES, runGeoHook, withTempDir } from '../helpers/geoHook.js';
import { findTool, suiteNeeding } from '../helpers/tools.js';

/**
 * deploy-config --write: the whole web server configuration of a site, with
 * nothing left as @…@, which nginx itself accepts (nginx -t) as written,
 * with only the operator's own files added (accounts, the token).
 */
const test = suiteNeeding('deploy-config --write: a site\'s web server files, filled in and accepted by nginx', { tools: ['nginx'] });

async function everyFile(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await everyFile(file)));
    else out.push(file);
  }
  return out.sort();
}

/** nginx -t on one site file, in a prefix of its own (as the tests run nginx). */
function nginxAccepts(prefix: string, include: string): { ok: boolean; text: string } {
  const conf = path.join(prefix, `test-${path.basename(include)}.nginx.conf`);
  const text = `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log;\nevents {}\nhttp {\n    access_log off;\n    include ${include};\n}\n`;
  spawnSync('sh', ['-c', `cat > "$0"`, conf], { input: text });
  const check = spawnSync(findTool('nginx'), ['-t', '-p', prefix, '-c', conf], { encoding: 'utf8' });
  return { ok: check.status === 0, text: check.stderr };
}

for (const mode of ['geo-node-id', 'correlation'] as const) {
  test(`${mode} mode: every file written, no placeholder left, nginx -t passes on the primary and on each secondary`, async () => {
    await withTempDir(async (dir) => {
      const out = path.join(dir, 'nginx-geo-hook');
      const site = path.join(FIXTURES, 'geo-site.json');
      const written = await runGeoHook(['deploy-config', 'nginx', '--site', site, '--write', out, '--mode', mode, '--listen', '127.0.0.1:18080', '--api', '127.0.0.1:18081', '--repositories', path.join(dir, 'git'), '--replicas', path.join(dir, 'replicas'), '--primary-address', '127.0.0.1:18080']);
      assert.equal([written.code, written.stderr], [0, ''], written.stderr);
      const files = await everyFile(out);
      assert.equal(files.map((file) => path.relative(out, file)), [
        'geo-hook-primary.conf',
        'geo-hook-secondary-2.conf',
        'geo-hook-secondary-3.conf',
        'geo-hook-secondary-4.conf',
        'geo-hook-site.conf',
        'snippets/geo-hook-git-http-backend.conf',
        `snippets/geo-hook-${mode}.conf`,
        'snippets/geo-hook-replicas-backend.conf',
        ...(mode === 'geo-node-id' ? ['snippets/geo-hook-no-frontend-token.conf'] : []),
      ].sort());
      for (const file of files) assert.not.match(await readFile(file, 'utf8'), /@[A-Z_]+@/, file);
      assert.match(written.stdout, new RegExp(`^yours to make: ${out}/geo-hook\\.htpasswd$`, 'm'));
      // The operator's own files, as the guide makes them.
      await writeFile(path.join(out, 'geo-hook.htpasswd'), 'deployer:$apr1$x$y\n');
      await writeFile(path.join(out, 'geo-hook-gl-id.conf'), 'map $remote_user $geo_hook_gl_id { default ""; deployer key-42; }\n');
      if (mode === 'correlation') {
        assert.match(written.stdout, /^yours to make: .*geo-hook-frontend-token\.conf$/m);
        await writeFile(path.join(out, 'geo-hook-frontend-token.conf'), 'proxy_set_header Authorization "Bearer 0123456789abcdef0123";\n', { mode: 0o600 });
      } else {
        assert.not.match(written.stdout, /yours to make: .*frontend-token/);
      }
      const prefix = path.join(dir, 'prefix');
      await mkdir(prefix);
      for (const name of ['geo-hook-primary.conf', 'geo-hook-secondary-2.conf', 'geo-hook-secondary-3.conf']) {
        const verdict = nginxAccepts(prefix, path.join(out, name));
        assert.ok(verdict.ok, `${name}: ${verdict.text}`);
      }
      // The secondaries forward to the primary, under their own id; without an address in the site file, no proxy_bind.
      const eu = await readFile(path.join(out, 'geo-hook-secondary-2.conf'), 'utf8');
      assert.match(eu, /^\s+server 127\.0\.0\.1:18080;$/m);
      assert.match(eu, /push_from_secondary\/2\//);
      assert.not.match(eu, /^\s+proxy_bind/m);
      // Their fetches are served from their replicas, at the folder given.
      assert.match(eu, new RegExp(`^\\s+include ${out}/snippets/geo-hook-replicas-backend\\.conf;$`, 'm'));
      assert.match(await readFile(path.join(out, 'snippets/geo-hook-replicas-backend.conf'), 'utf8'), new RegExp(`^fastcgi_param GIT_PROJECT_ROOT ${path.join(dir, 'replicas')};$`, 'm'));
    });
  });
}

test('the flags that shape written files are refused without --write, in one line', async () => {
  const result = await runGeoHook(['deploy-config', 'nginx', '--site', path.join(FIXTURES, 'geo-site.json'), '--listen', '0.0.0.0:80']);
  assert.equal([result.code, result.stdout], [2, '']);
  assert.match(result.stderr, /^geo-hook: --mode, --listen, .* go with --write\n$/);
});

test.run();
