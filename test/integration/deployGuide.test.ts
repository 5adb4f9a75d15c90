import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { ROOT, withTempDir } from '../helpers/geoHook.js';
import { freePort } from '../helpers/redis.js';
import { relayFrom } from '../helpers/replication.js';
import { findTool, suiteNeeding } from '../helpers/tools.js';
import { PRIMARY_ADDRESS, SECONDARY_ADDRESSES, nginxMainConf } from '../helpers/webServer.js';

/**
 * docs/deploy.md, run as written: every block that starts `# guide: run`, in
 * order, in one bash, each `# systemd` line swapped for the plain command
 * after it (this machine has no systemd), with the guide's settings pointed
 * at folders and ports of the test's own. Then the guide's own check: a push
 * through the secondary that the pusher is told went to the primary.
 */
const test = suiteNeeding('docs/deploy.md, its commands run in order on a machine of the test\'s making', {
  tools: ['nginx', 'fcgiwrap', 'htpasswd', 'curl', 'runuser', 'git'],
  onlyInPass: 'executable',
  also: [{ what: 'root (the guide is run as root, as an operator runs it)', debianPackage: 'none: run the tests as root', present: () => process.getuid?.() === 0 }],
});

const CGI_USER = 'www-data';

/** The guide's runnable blocks, as one script: `# systemd` lines become their `# without systemd:` partners. */
export function guideScript(markdown: string): string {
  const blocks = [...markdown.matchAll(/^```sh\n# guide: run\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
  const lines: string[] = [];
  for (const block of blocks) {
    for (const line of block.split('\n')) {
      if (/#\s*systemd\s*$/.test(line)) continue;
      const plain = /^\s*# without systemd: (.*)$/.exec(line);
      lines.push(plain ? plain[1]! : line);
    }
  }
  return `set -euo pipefail\n${lines.join('\n')}\n`;
}

/** An nginx of the test's own (prefix, pid, temp folders), reading conf.d/ as Debian's does. */
async function nginxHome(dir: string): Promise<string> {
  await mkdir(path.join(dir, 'conf.d'), { recursive: true });
  await mkdir(path.join(dir, 'temp'), { recursive: true });
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  execFileSync('chown', ['-R', `${CGI_USER}:`, path.join(dir, 'temp')]);
  await writeFile(path.join(dir, 'nginx.conf'), nginxMainConf(dir, CGI_USER, `${dir}/conf.d/*.conf`));
  return `${findTool('nginx')} -p ${dir} -c ${dir}/nginx.conf`;
}

test('the guide builds a primary and a secondary that forward a push and tell the pusher so', async () => {
  await withTempDir(async (dir) => {
    await chmod(dir, 0o755);
    const [primaryPort, secondaryPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    // The secondary's own network: its connections to the primary leave from its address (the primary's nginx
    // tells the secondaries by their address). Here a relay stands for that path.
    const network = await relayFrom(SECONDARY_ADDRESSES[2]!, PRIMARY_ADDRESS, primaryPort);
    const bin = path.join(dir, 'bin');
    await mkdir(bin, { mode: 0o755 });
    const run = path.join(dir, 'run');
    const settings: Record<string, string> = {
      BIN: bin,
      GEO_ETC: path.join(dir, 'etc/geo-hook'),
      REPOS: path.join(dir, 'srv/git'),
      LOGS: path.join(dir, 'log/geo-hook'),
      RUN: run,
      NGINX_ETC: path.join(dir, 'primary-nginx'),
      // Not NGINX: nginx itself reads that variable (its inherited sockets).
      NGINX_CMD: await nginxHome(path.join(dir, 'primary-nginx')),
      FCGIWRAP_SOCKET: path.join(run, 'fcgiwrap.socket'),
      CGI_USER,
      PRIMARY_LISTEN: `${PRIMARY_ADDRESS}:${primaryPort}`,
      PRIMARY_ADDRESS: network.address,
      PRIMARY_URL: 'http://primary.geo.test',
      API_LISTEN: `127.0.0.1:${apiPort}`,
      SECONDARY_ID: '2',
      SECONDARY_ADDRESS: SECONDARY_ADDRESSES[2]!,
      SECONDARY_LISTEN: `${SECONDARY_ADDRESSES[2]}:${secondaryPort}`,
      SECONDARY_NGINX_ETC: path.join(dir, 'secondary-nginx'),
      SECONDARY_NGINX_CMD: await nginxHome(path.join(dir, 'secondary-nginx')),
      SECONDARY_ETC: path.join(dir, 'secondary-etc/geo-hook'),
      SECONDARY_FCGIWRAP_SOCKET: path.join(run, 'secondary-fcgiwrap.socket'),
      REPLICAS: path.join(dir, 'srv/geo-hook/replicas'),
      // Another user than the CGI user, as the guide wants; one every Debian has.
      REPLICA_USER: 'nobody',
      PUSH_USER: 'deployer',
      PUSH_GL_ID: 'key-42',
      PUSH_PASSWORD: 'guide-push-password-7e1',
      GUIDE_STOP: '1',
    };
    for (const folder of ['etc', 'srv', 'log']) await mkdir(path.join(dir, folder), { mode: 0o755 });
    const script = guideScript(await readFile(path.join(ROOT, 'docs/deploy.md'), 'utf8'));
    await writeFile(path.join(dir, 'guide.sh'), script);
    const child = spawn('bash', [path.join(dir, 'guide.sh')], {
      cwd: ROOT,
      env: { ...settings, PATH: `${bin}:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin`, HOME: dir, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 120_000);
    // 'exit', not 'close': the daemons the guide starts keep the script's output pipes open.
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    clearTimeout(timer);
    try {
      assert.is(code, 0, `the guide stopped (status ${code}):\n${output}`);
      // The guide's own check passed (grep in its last block); what the pusher was told, and the hook's log line.
      assert.match(output, /remote: This request to a Geo secondary node will be forwarded to the\s*\nremote: Geo primary node:\s*\nremote:\s*\nremote:   http:\/\/primary\.geo\.test\/group\/project\.git/, output);
      const record = JSON.parse(output.trim().split('\n').findLast((line) => line.startsWith('{"time"'))!) as Record<string, unknown>;
      assert.equal([record.outcome, record.gl_id, record.geo_node_id, record.gl_repository], ['ok', 'key-42', 2, 'project-7']);
      // The secondary replicated: the primary says so, and the replicator's log has its first reconcile.
      assert.match(output, /Replication is working: the reporting secondary is healthy\./);
      assert.match(await readFile(path.join(dir, 'log/geo-hook/replicate.log'), 'utf8'), /"event":"reconciled"/);
      // The password went through the environment only.
      assert.not.match(script, /guide-push-password/);
    } finally {
      // Whatever the guide left running: serve, both nginx, fcgiwrap (in the script's process group).
      for (const nginx of [settings.NGINX_CMD!, settings.SECONDARY_NGINX_CMD!]) {
        if (existsSync(`${nginx.split(' -p ')[1]!.split(' ')[0]}/nginx.pid`)) execFileSync('sh', ['-c', `${nginx} -s stop`], { stdio: 'ignore' });
      }
      for (const pid of ['serve.pid', 'replicate.pid']) {
        if (existsSync(path.join(run, pid))) execFileSync('sh', ['-c', `kill "$(cat ${path.join(run, pid)})" 2>/dev/null || true`]);
      }
      network.server.close();
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // The group is gone already.
      }
    }
  });
});

test.run();
