import { readFile } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import type { Shell } from '../shell.js';
import { fileProblem } from '../shared/fileProblem.js';

/** The primary node's host:port, from its url: where the secondaries send pushes unless told otherwise. */
function primaryAddressOf(site: import('../server/geoSite.js').GeoSite): string {
  const primary = [...site.nodes.values()].find((node) => node.primary);
  try {
    const url = new URL(primary?.url ?? '');
    return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    throw new UsageError("the site file's primary node has no url to send pushes to: give --primary-address", 'EUSAGE');
  }
}

export function deployConfigCommand(shell: Shell): CommandModule {
  return {
    command: 'deploy-config <server>',
    describe: "print the web server configuration that follows from the site file (GL_REPOSITORY map, secondaries' ids and addresses)",
    builder: (yargs) =>
      yargs
        .positional('server', { choices: ['nginx', 'apache'], describe: 'the web server in front of git http-backend' })
        .options({
          site: { type: 'string', demandOption: true, requiresArg: true, describe: 'the site file serve reads (--nodes-file)' },
          write: { type: 'string', requiresArg: true, describe: 'write the whole configuration into this folder (where the web server will read it), every placeholder filled' },
          mode: { choices: ['geo-node-id', 'correlation'], default: 'geo-node-id', describe: 'with --write: which fix the primary uses' },
          listen: { type: 'string', requiresArg: true, default: '0.0.0.0:80', describe: 'with --write: address:port the primary and the secondaries serve Git on' },
          api: { type: 'string', requiresArg: true, default: '127.0.0.1:8080', describe: 'with --write: where geo-hook serve listens (host:port or unix:/path)' },
          repositories: { type: 'string', requiresArg: true, default: '/srv/git', describe: 'with --write: the folder holding the bare repositories' },
          replicas: { type: 'string', requiresArg: true, default: '/srv/geo-hook/replicas', describe: "with --write: on each secondary, the replicas' folder (geo-hook replicate's repositories)" },
          'fcgiwrap-socket': { type: 'string', requiresArg: true, default: '/run/fcgiwrap.socket', describe: "with --write: fcgiwrap's socket (nginx)" },
          'git-http-backend': { type: 'string', requiresArg: true, default: '/usr/lib/git-core/git-http-backend', describe: 'with --write: git http-backend' },
          'primary-address': { type: 'string', requiresArg: true, describe: "with --write: address:port the secondaries reach the primary's Git HTTP at (default: from the primary node's url)" },
        })
        .example('$0 deploy-config nginx --site /etc/geo-hook/geo-site.json > /etc/nginx/geo-hook-site.conf', 'the maps the nginx site in deploy/nginx/ includes')
        .example('$0 deploy-config nginx --site /etc/geo-hook/geo-site.json --write /etc/nginx/geo-hook', 'the whole nginx configuration of the site, filled in'),
    handler: async (argv) => {
      const [{ parseGeoSite }, { renderWebServerConfig }] = await Promise.all([import('../server/geoSite.js'), import('../deploy/renderWebServerConfig.js')]);
      if (argv.write === undefined && ['mode', 'listen', 'api', 'repositories', 'replicas', 'fcgiwrap-socket', 'git-http-backend', 'primary-address'].some((flag) => shell.argv.some((word) => word === `--${flag}` || word.startsWith(`--${flag}=`)))) {
        throw new UsageError('--mode, --listen, --api, --repositories, --replicas, --fcgiwrap-socket, --git-http-backend and --primary-address go with --write', 'EUSAGE');
      }
      const siteFile = path.resolve(shell.cwd, argv.site as string);
      let text: string;
      try {
        text = await promisify(readFile)(siteFile, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new UsageError(`site file ${siteFile} ${fileProblem(code)}`, 'EFILE', error);
      }
      let site;
      try {
        site = parseGeoSite(text, siteFile);
      } catch (error) {
        throw new UsageError((error as Error).message, 'ECONFIG', error);
      }
      if (argv.write === undefined) {
        shell.stdout.write(renderWebServerConfig(argv.server as 'nginx' | 'apache', site, siteFile));
        return;
      }
      const dir = path.resolve(shell.cwd, argv.write as string);
      const { planSiteFiles } = await import('../deploy/siteFiles.js');
      const plan = await planSiteFiles({
        server: argv.server as 'nginx' | 'apache',
        site,
        siteFile,
        dir,
        mode: argv.mode as 'geo-node-id' | 'correlation',
        listen: argv.listen as string,
        apiAddress: argv.api as string,
        repositories: argv.repositories as string,
        replicas: argv.replicas as string,
        fcgiwrapSocket: argv['fcgiwrap-socket'] as string,
        gitHttpBackend: argv['git-http-backend'] as string,
        primaryAddress: (argv['primary-address'] as string | undefined) ?? primaryAddressOf(site),
      });
      try {
        for (const file of plan.files) {
          const where = path.join(dir, file.name);
          await mkdir(path.dirname(where), { recursive: true });
          await writeFile(where, file.text, { mode: 0o644 });
          shell.stdout.write(`wrote ${where}\n`);
        }
      } catch (error) {
        throw new UsageError(`cannot write into ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 'EFILE', error);
      }
      for (const file of plan.yours) shell.stdout.write(`yours to make: ${file}\n`);
    },
  };
}
