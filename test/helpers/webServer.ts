import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';
import { createBareRepository, parseLabFixture } from '../../src/lab/fixtureRepositories.js';
import type { ScenarioTarget } from '../../src/lab/raceScenarios.js';
import { parseGeoSite } from '../../src/server/geoSite.js';
import { FIXTURES, NOBODY, ROOT, type ServeProcess, copyGeoHook, makeTempDir, runGeoHook, startServe } from './geoHook.js';
import { freePort } from './redis.js';
import { NODE_SECRETS } from './secondary.js';
import { findTool } from './tools.js';

/**
 * A Git server as an operator builds it from deploy/: the shipped web server
 * files filled in, fcgiwrap and git http-backend, the fixture repositories
 * owned by the CGI user (nobody here, www-data on Debian), the hook installed
 * with `geo-hook install --config`, and `geo-hook serve` beside them.
 */

export const DEPLOY = path.join(ROOT, 'deploy');
/** The secondaries of fixtures/geo-site.json, each on a loopback address of its own. */
export const SECONDARY_ADDRESSES: Record<number, string> = { 2: '127.0.0.2', 3: '127.0.0.3' };
export const PRIMARY_ADDRESS = '127.0.0.1';
export const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';
export const FRONTEND_TOKEN = `frontend-${randomBytes(12).toString('hex')}`;

/** Fills a shipped file's @PLACEHOLDERS@; a placeholder left unfilled is a bug in the test or the file. */
export async function fillTemplate(file: string, values: Record<string, string>): Promise<string> {
  const text = await readFile(file, 'utf8');
  const filled = text.replace(/@([A-Z_]+)@/g, (whole, name: string) => values[name] ?? whole);
  // Only lines that are not comments must be complete; the opening comment names the placeholders.
  const left = filled.split('\n').filter((line) => !line.trimStart().startsWith('#') && /@[A-Z_]+@/.test(line));
  if (left.length > 0) throw new Error(`${file}: placeholders left: ${left.join(' | ')}`);
  return filled;
}

export interface GitSite {
  readonly dir: string;
  readonly repos: string;
  readonly siteFile: string;
  readonly secretFile: string;
  readonly tokenFile: string;
  readonly hookLog: string;
  /** The geo-hook the hooks run, readable by the CGI user. */
  readonly geoHook: [string, string[]];
  readonly serve: ServeProcess;
  readonly target: Omit<ScenarioTarget, 'pushUrl'>;
  readonly accounts: ReadonlyArray<{ username: string; password: string; glId: string }>;
  close(): Promise<void>;
}

function chownR(target: string): void {
  const result = spawnSync('chown', ['-R', `${NOBODY.uid}:${NOBODY.gid}`, target]);
  if (result.status !== 0) throw new Error(`chown ${target} failed`);
}

function run(command: string, args: string[], options: { env?: Record<string, string> } = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', env: options.env ?? { PATH: process.env.PATH ?? '' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** The fixture repositories, the hook installed in them, serve running: what every web server test shares. */
export async function startGitSite(options: { serveArgs?: string[]; reporting?: boolean } = {}): Promise<GitSite> {
  const dir = await makeTempDir();
  await chmod(dir, 0o755);
  const repos = path.join(dir, 'repositories');
  const runDir = path.join(dir, 'run');
  const hookDir = path.join(dir, 'geo-hook');
  await Promise.all([mkdir(repos), mkdir(runDir), mkdir(hookDir, { mode: 0o755 })]);

  // The site file, with the secondaries' addresses.
  const site = JSON.parse(await readFile(path.join(FIXTURES, 'geo-site.json'), 'utf8')) as { nodes: Array<Record<string, unknown>> };
  for (const node of site.nodes) {
    const address = SECONDARY_ADDRESSES[node.id as number];
    if (address) node.addresses = [address];
    // Secondaries that replicate and report (contract section 11): a secret each, readable by serve (root) only.
    if (address && options.reporting) {
      delete node.lag_seconds;
      node.secret_file = `node-${node.id}.secret`;
      await writeFile(path.join(hookDir, `node-${node.id}.secret`), `${NODE_SECRETS[node.id as number]}\n`, { mode: 0o600 });
    }
  }
  const siteFile = path.join(hookDir, 'geo-site.json');
  await writeFile(siteFile, JSON.stringify(site, null, 2));

  // The shared secret: the CGI user reads it (the hook), nobody else; root reads anything (serve).
  const secretFile = path.join(hookDir, 'secret');
  await writeFile(secretFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o400 });
  await chown(secretFile, NOBODY.uid, NOBODY.gid);
  const tokenFile = path.join(dir, 'frontend-token');
  await writeFile(tokenFile, `${FRONTEND_TOKEN}\n`, { mode: 0o600 });

  const serve = await startServe([
    '--secret-file',
    secretFile,
    '--nodes-file',
    siteFile,
    '--frontend-token-file',
    tokenFile,
    ...(options.serveArgs ?? []),
  ]);

  // The executable, where the CGI user can run it (the checkout's folders may be private).
  const geoHook = await copyGeoHook(hookDir);

  const hookLog = path.join(runDir, 'hook.log');
  const hookConfig = path.join(hookDir, 'config.json');
  await writeFile(hookConfig, JSON.stringify({ apiUrl: serve.url, secretFile, timeout: 10, logFile: hookLog }, null, 2), { mode: 0o644 });

  const labFile = path.join(FIXTURES, 'lab.json');
  const fixture = parseLabFixture(await readFile(labFile, 'utf8'), labFile);
  const bares: string[] = [];
  for (const recipe of fixture.repositories) bares.push(await createBareRepository(repos, recipe));
  run(geoHook[0], [...geoHook[1], 'install', '--config', hookConfig, ...bares]);
  // The CGI user owns the repositories (git refuses others': safe.directory) and the hook's log folder.
  chownR(repos);
  chownR(runDir);

  return {
    dir,
    repos,
    siteFile,
    secretFile,
    tokenFile,
    hookLog,
    geoHook,
    serve,
    accounts: fixture.accounts,
    target: { fixture, site: parseGeoSite(JSON.stringify(site), siteFile), dir },
    close: async () => {
      await serve.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Daemon {
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * A daemon started in a process group of its own, so that stopping it stops
 * every process it forked (fcgiwrap's children outlive their parent
 * otherwise, and hold the test's pipes open).
 */
function daemon(child: ChildProcess): Daemon {
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  return {
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.on('exit', resolve));
        signal('SIGTERM');
        const killer = setTimeout(() => signal('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
      }
      // What the leader left behind.
      signal('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
  };
}

async function waitFor(ready: () => Promise<boolean>, what: string, daemonOutput: () => string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not start: ${daemonOutput()}`);
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** fcgiwrap as the CGI user, on a socket in the site's run folder. */
export async function startFcgiwrap(site: GitSite): Promise<{ socket: string; daemon: Daemon }> {
  const socket = path.join(site.dir, 'run', 'fcgiwrap.socket');
  const child = spawn('setpriv', [`--reuid=${NOBODY.uid}`, `--regid=${NOBODY.gid}`, '--clear-groups', '--', findTool('fcgiwrap'), '-c', '8', '-s', `unix:${socket}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/bin:/bin' },
    detached: true,
  });
  const running = daemon(child);
  await waitFor(
    async () =>
      new Promise((resolve) => {
        const probe = connect(socket);
        probe.once('connect', () => {
          probe.destroy();
          resolve(true);
        });
        probe.once('error', () => resolve(false));
      }),
    'fcgiwrap',
    running.output,
  );
  return { socket, daemon: running };
}

export interface Nginx extends Daemon {
  readonly port: number;
  readonly address: string;
  readonly prefix: string;
}

/** nginx.conf for an nginx of the tests' own: pid, logs and temp folders in its prefix, workers as `user`. */
export function nginxMainConf(prefix: string, user: string, include: string): string {
  const temp = path.join(prefix, 'temp');
  return `user ${user};
worker_processes 2;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 512; }
http {
    access_log ${prefix}/logs/access.log;
    client_body_temp_path ${temp}/body;
    proxy_temp_path ${temp}/proxy;
    fastcgi_temp_path ${temp}/fastcgi;
    uwsgi_temp_path ${temp}/uwsgi;
    scgi_temp_path ${temp}/scgi;
    include ${include};
}
`;
}

/**
 * An nginx of its own (prefix, pid, logs, temp folders), master as root and
 * workers as the CGI user, serving one shipped site file filled in.
 */
export async function startNginx(parent: string, name: string, address: string, siteConf: (port: number, prefix: string) => Promise<string>): Promise<Nginx> {
  const prefix = path.join(parent, `nginx-${name}`);
  await mkdir(path.join(prefix, 'logs'), { recursive: true });
  const temp = path.join(prefix, 'temp');
  await mkdir(temp);
  chownR(temp);
  const port = await freePort();
  await writeFile(path.join(prefix, 'site.conf'), await siteConf(port, prefix));
  await writeFile(path.join(prefix, 'nginx.conf'), nginxMainConf(prefix, 'nobody nogroup', `${prefix}/site.conf`));
  const nginx = findTool('nginx');
  const check = spawnSync(nginx, ['-t', '-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t (${name}): ${check.stderr}`);
  const child = spawn(nginx, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const running = daemon(child);
  await waitFor(() => listening(address, port), `nginx ${name}`, running.output);
  return { ...running, port, address, prefix };
}

/** The files the operator writes by hand: who may push (htpasswd), and their GL_ID. */
export async function writeAccounts(site: GitSite, nginxDir: string): Promise<{ htpasswd: string; glIdMap: string; glIdTxt: string }> {
  await mkdir(nginxDir, { recursive: true });
  const htpasswd = path.join(nginxDir, 'htpasswd');
  const lines = site.accounts.map((account) => `${account.username}:${run('openssl', ['passwd', '-apr1', account.password]).trim()}`);
  await writeFile(htpasswd, `${lines.join('\n')}\n`, { mode: 0o644 });
  const glIdMap = path.join(nginxDir, 'gl-id-map.conf');
  await writeFile(
    glIdMap,
    `map $remote_user $geo_hook_gl_id {\n    default "";\n${site.accounts.map((account) => `    ${account.username} ${account.glId};`).join('\n')}\n}\n`,
  );
  // The same for Apache: a RewriteMap txt: file.
  const glIdTxt = path.join(nginxDir, 'gl-id-map.txt');
  await writeFile(glIdTxt, `${site.accounts.map((account) => `${account.username} ${account.glId}`).join('\n')}\n`);
  return { htpasswd, glIdMap, glIdTxt };
}

/** Apache's modules the shipped site needs (Debian: a2enmod cgid rewrite setenvif unique_id auth_basic authn_file authz_user env alias). */
const APACHE_MODULES = [
  'mpm_event',
  'authn_core',
  'authn_file',
  'authz_core',
  'authz_host',
  'authz_user',
  'auth_basic',
  'alias',
  'cgid',
  'env',
  'headers',
  'rewrite',
  'setenvif',
  'unique_id',
];

/** An Apache of its own (server root, pid, logs, CGI socket), children as the CGI user, serving one shipped site file filled in. */
export async function startApache(parent: string, name: string, address: string, siteConf: (port: number) => Promise<string>): Promise<Nginx> {
  const prefix = path.join(parent, `apache-${name}`);
  await mkdir(path.join(prefix, 'logs'), { recursive: true });
  await mkdir(path.join(prefix, 'run'));
  const port = await freePort();
  await writeFile(path.join(prefix, 'site.conf'), await siteConf(port));
  const modules = APACHE_MODULES.map((module) => `LoadModule ${module}_module /usr/lib/apache2/modules/mod_${module}.so`).join('\n');
  await writeFile(
    path.join(prefix, 'apache2.conf'),
    `ServerRoot ${prefix}
${modules}
ServerName ${address}
Listen ${address}:${port}
PidFile ${prefix}/run/apache2.pid
DefaultRuntimeDir ${prefix}/run
ScriptSock ${prefix}/run/cgisock
Mutex file:${prefix}/run default
ErrorLog ${prefix}/logs/error.log
LogFormat "%a %u \\"%r\\" %>s" short
CustomLog ${prefix}/logs/access.log short
User nobody
Group nogroup
Include ${prefix}/site.conf
`,
  );
  const apache = findTool('apache2');
  const args = ['-d', prefix, '-f', path.join(prefix, 'apache2.conf')];
  const check = spawnSync(apache, [...args, '-t'], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`apache2 -t (${name}): ${check.stderr}`);
  const child = spawn(apache, [...args, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const running = daemon(child);
  await waitFor(() => listening(address, port), `apache ${name}`, running.output);
  return { ...running, port, address, prefix };
}

/** The shipped snippet for a secondary's replicas (git http-backend, upload-pack only), filled in; its path. */
export async function writeReplicasBackend(dir: string, fcgiwrapSocket: string, replicas: string): Promise<string> {
  const file = path.join(dir, 'geo-hook-replicas-backend.conf');
  await mkdir(dir, { recursive: true });
  await writeFile(file, await fillTemplate(path.join(DEPLOY, 'nginx/snippets/geo-hook-replicas-backend.conf'), { FCGIWRAP_SOCKET: fcgiwrapSocket, GIT_HTTP_BACKEND, REPLICAS: replicas }));
  return file;
}

/** Where each secondary of the site keeps its replicas (empty unless a replicator runs). */
export const replicasOf = (site: GitSite, nodeId: number) => path.join(site.dir, `replicas-${nodeId}`);

/**
 * The two secondaries of the site, each an nginx from deploy/nginx/geo-hook-secondary.conf on its own address,
 * forwarding pushes to the primary and serving fetches from its replicas folder.
 */
export async function startSecondaries(site: GitSite, primary: Nginx, fcgiwrapSocket = path.join(site.dir, 'run', 'no-fcgiwrap.socket')): Promise<Map<number, Nginx>> {
  const secondaries = new Map<number, Nginx>();
  try {
    for (const [id, address] of Object.entries(SECONDARY_ADDRESSES)) {
      await mkdir(replicasOf(site, Number(id)), { recursive: true, mode: 0o755 });
      const backend = await writeReplicasBackend(path.join(site.dir, `secondary-${id}-conf`), fcgiwrapSocket, replicasOf(site, Number(id)));
      const secondary = await startNginx(site.dir, `secondary-${id}`, address, async (port) =>
        fillTemplate(path.join(DEPLOY, 'nginx/geo-hook-secondary.conf'), {
          LISTEN: `${address}:${port}`,
          NODE_ID: id,
          PRIMARY_ADDRESS: `${PRIMARY_ADDRESS}:${primary.port}`,
          SOURCE_ADDRESS: address,
          REPLICAS_BACKEND: backend,
        }),
      );
      secondaries.set(Number(id), secondary);
    }
  } catch (error) {
    for (const secondary of secondaries.values()) await secondary.stop();
    throw error;
  }
  return secondaries;
}

/** Where the race scenarios push: a secondary by node id, the primary without one; clones from the primary. */
export function pushTarget(site: GitSite, primary: Nginx, secondaries: ReadonlyMap<number, Nginx>): ScenarioTarget {
  const url = (server: Nginx, repositoryPath: string, account?: { username: string; password: string }) => {
    const base = new URL(`http://${server.address}:${server.port}/${repositoryPath}.git`);
    if (account) {
      base.username = encodeURIComponent(account.username);
      base.password = encodeURIComponent(account.password);
    }
    return base.toString();
  };
  return {
    ...site.target,
    pushUrl: (repositoryPath, nodeId, account) => url(nodeId === undefined ? primary : secondaries.get(nodeId)!, repositoryPath, account),
    cloneUrl: (repositoryPath) => url(primary, repositoryPath),
  };
}

/** Basic credentials for a raw HTTP request. */
export function basicAuth(account: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${account.username}:${account.password}`).toString('base64')}`;
}

/** A GET (or another method) from a chosen local address (a secondary's), without git: the status only. */
export function statusFrom(localAddress: string, url: string, headers: Record<string, string>, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const call = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, localAddress, headers, method }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    call.on('error', reject);
    call.setTimeout(10_000, () => call.destroy(new Error(`no answer from ${url}`)));
    call.end();
  });
}

export type Mode = 'geo-node-id' | 'correlation';

export interface Deployment {
  site: GitSite;
  fcgiwrap: Awaited<ReturnType<typeof startFcgiwrap>>;
  primary: Nginx;
  secondaries: Map<number, Nginx>;
  target: ScenarioTarget;
  close(): Promise<void>;
}

/** The primary as an operator sets it up: deploy-config's maps, their own accounts, the mode's snippet. */
export async function deployNginxPrimary(mode: Mode, options: { registerApi?: string; reporting?: boolean; serveArgs?: string[] } = {}): Promise<Deployment> {
  const site = await startGitSite({ ...(options.reporting !== undefined && { reporting: options.reporting }), ...(options.serveArgs && { serveArgs: options.serveArgs }) });
  const closers: Array<() => Promise<void>> = [site.close];
  try {
    const fcgiwrap = await startFcgiwrap(site);
    closers.unshift(fcgiwrap.daemon.stop);
    const conf = path.join(site.dir, 'nginx-conf');
    const { htpasswd, glIdMap } = await writeAccounts(site, conf);
    const siteMap = path.join(conf, 'geo-hook-site.conf');
    const generated = await runGeoHook(['deploy-config', 'nginx', '--site', site.siteFile], { command: site.geoHook });
    if (generated.code !== 0 || generated.stderr !== '') throw new Error(`deploy-config failed: ${generated.stderr}`);
    await writeFile(siteMap, generated.stdout);
    // Only root reads the token; nginx's master reads it at start.
    const tokenInclude = path.join(conf, 'frontend-token.conf');
    await writeFile(tokenInclude, `proxy_set_header Authorization "Bearer ${FRONTEND_TOKEN}";\n`, { mode: 0o600 });
    const backend = path.join(conf, 'geo-hook-git-http-backend.conf');
    await writeFile(
      backend,
      await fillTemplate(path.join(DEPLOY, 'nginx/snippets/geo-hook-git-http-backend.conf'), {
        FCGIWRAP_SOCKET: fcgiwrap.socket,
        GIT_HTTP_BACKEND,
        REPOS: site.repos,
      }),
    );
    const apiAddress = options.registerApi ?? new URL(site.serve.url).host;
    const primary = await startNginx(site.dir, 'primary', PRIMARY_ADDRESS, async (port) =>
      fillTemplate(path.join(DEPLOY, 'nginx/geo-hook-primary.conf'), {
        LISTEN: `${PRIMARY_ADDRESS}:${port}`,
        SITE_MAP: siteMap,
        GL_ID_MAP: glIdMap,
        HTPASSWD: htpasswd,
        API_ADDRESS: apiAddress,
        // geo_node_id mode as the guide says: the shipped empty include, no token file at all.
        FRONTEND_TOKEN_INCLUDE: mode === 'correlation' ? tokenInclude : path.join(DEPLOY, 'nginx/snippets/geo-hook-no-frontend-token.conf'),
        MODE_SNIPPET: path.join(DEPLOY, `nginx/snippets/geo-hook-${mode}.conf`),
        BACKEND_SNIPPET: backend,
      }),
    );
    closers.unshift(primary.stop);
    const secondaries = await startSecondaries(site, primary, fcgiwrap.socket);
    for (const secondary of secondaries.values()) closers.unshift(secondary.stop);
    const target = pushTarget(site, primary, secondaries);
    return {
      site,
      fcgiwrap,
      primary,
      secondaries,
      target,
      close: async () => {
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close().catch(() => {});
    throw error;
  }
}
