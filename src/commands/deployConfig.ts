import { readFile } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { UsageError } from '../errors.js';
import type { Shell } from '../shell.js';
import { fileProblem } from '../shared/fileProblem.js';

export function deployConfigCommand(shell: Shell): CommandModule {
  return {
    command: 'deploy-config <server>',
    describe: "print the web server configuration that follows from the site file (GL_REPOSITORY map, secondaries' ids and addresses)",
    builder: (yargs) =>
      yargs
        .positional('server', { choices: ['nginx', 'apache'], describe: 'the web server in front of git http-backend' })
        .options({ site: { type: 'string', demandOption: true, requiresArg: true, describe: 'the site file serve reads (--nodes-file)' } })
        .example('$0 deploy-config nginx --site /etc/geo-hook/geo-site.json > /etc/nginx/geo-hook-site.conf', 'the maps the nginx site in deploy/nginx/ includes'),
    handler: async (argv) => {
      const [{ parseGeoSite }, { renderWebServerConfig }] = await Promise.all([import('../server/geoSite.js'), import('../deploy/renderWebServerConfig.js')]);
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
      shell.stdout.write(renderWebServerConfig(argv.server as 'nginx' | 'apache', site, siteFile));
    },
  };
}
