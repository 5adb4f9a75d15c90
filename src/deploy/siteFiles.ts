import path from 'node:path';
import type { GeoSite } from '../server/geoSite.js';
import { type TemplateName, deployTemplate } from './deployTemplates.js';
import { fillPlaceholders } from './fillPlaceholders.js';
import { renderWebServerConfig } from './renderWebServerConfig.js';

/** What `deploy-config --write` is told; every path is where the file will be on the web server's machine. */
export interface SiteFilesOptions {
  readonly server: 'nginx' | 'apache';
  readonly site: GeoSite;
  readonly siteFile: string;
  /** The folder the files are written to, and where the web server will read them. */
  readonly dir: string;
  readonly mode: 'geo-node-id' | 'correlation';
  /** Where the primary (and each secondary) listens: address:port. */
  readonly listen: string;
  /** Where geo-hook serve listens, for the primary's registration (nginx upstream form: host:port or unix:/path). */
  readonly apiAddress: string;
  readonly repositories: string;
  readonly fcgiwrapSocket: string;
  readonly gitHttpBackend: string;
  /** Each secondary's way to the primary's Git HTTP, address:port. */
  readonly primaryAddress: string;
  /** On each secondary, the replicas' folder (geo-hook replicate's `repositories`). */
  readonly replicas: string;
}

export interface SiteFile {
  /** The file's name inside the folder. */
  readonly name: string;
  readonly text: string;
}

export interface SiteFilesPlan {
  readonly files: readonly SiteFile[];
  /** Files the configuration reads that are the operator's to make (accounts, the token): named, never written. */
  readonly yours: readonly string[];
}

const heading = (siteFile: string) => `# Written by: geo-hook deploy-config --write, from ${siteFile}. Write it again when the site file changes.\n`;

/** The web server's files for a site, every placeholder filled: the primary, its snippets, and one file per secondary. */
export async function planSiteFiles(options: SiteFilesOptions): Promise<SiteFilesPlan> {
  const at = (name: string) => path.join(options.dir, name);
  const fill = async (template: TemplateName, values: Record<string, string | null>) =>
    heading(options.siteFile) + fillPlaceholders(await deployTemplate(template), values, `deploy/${template}`);
  const generated = renderWebServerConfig(options.server, options.site, options.siteFile);
  const htpasswd = at('geo-hook.htpasswd');
  if (options.server === 'apache') {
    const glIdMap = at('geo-hook-gl-id.txt');
    return {
      files: [
        { name: 'geo-hook-site.conf', text: generated },
        {
          name: 'geo-hook-primary.conf',
          text: await fill('apache/geo-hook-primary.conf', {
            LISTEN: options.listen,
            SITE_CONFIG: at('geo-hook-site.conf'),
            GL_ID_MAP: glIdMap,
            HTPASSWD: htpasswd,
            REPOS: options.repositories,
            GIT_HTTP_BACKEND: options.gitHttpBackend,
          }),
        },
      ],
      yours: [htpasswd, glIdMap],
    };
  }
  const glIdMap = at('geo-hook-gl-id.conf');
  const token = options.mode === 'correlation' ? at('geo-hook-frontend-token.conf') : at('snippets/geo-hook-no-frontend-token.conf');
  const files: SiteFile[] = [
    { name: 'geo-hook-site.conf', text: generated },
    {
      name: 'geo-hook-primary.conf',
      text: await fill('nginx/geo-hook-primary.conf', {
        LISTEN: options.listen,
        SITE_MAP: at('geo-hook-site.conf'),
        GL_ID_MAP: glIdMap,
        HTPASSWD: htpasswd,
        API_ADDRESS: options.apiAddress,
        FRONTEND_TOKEN_INCLUDE: token,
        MODE_SNIPPET: at(`snippets/geo-hook-${options.mode}.conf`),
        BACKEND_SNIPPET: at('snippets/geo-hook-git-http-backend.conf'),
      }),
    },
    {
      name: 'snippets/geo-hook-git-http-backend.conf',
      text: await fill('nginx/snippets/geo-hook-git-http-backend.conf', {
        FCGIWRAP_SOCKET: options.fcgiwrapSocket,
        GIT_HTTP_BACKEND: options.gitHttpBackend,
        REPOS: options.repositories,
      }),
    },
    { name: `snippets/geo-hook-${options.mode}.conf`, text: await fill(`nginx/snippets/geo-hook-${options.mode}.conf`, {}) },
    ...(options.mode === 'geo-node-id'
      ? [{ name: 'snippets/geo-hook-no-frontend-token.conf', text: await fill('nginx/snippets/geo-hook-no-frontend-token.conf', {}) }]
      : []),
  ];
  const secondaries = [...options.site.nodes.values()].filter((candidate) => !candidate.primary).sort((a, b) => a.id - b.id);
  if (secondaries.length > 0) {
    files.push({
      name: 'snippets/geo-hook-replicas-backend.conf',
      text: await fill('nginx/snippets/geo-hook-replicas-backend.conf', {
        FCGIWRAP_SOCKET: options.fcgiwrapSocket,
        GIT_HTTP_BACKEND: options.gitHttpBackend,
        REPLICAS: options.replicas,
      }),
    });
  }
  for (const node of secondaries) {
    files.push({
      name: `geo-hook-secondary-${node.id}.conf`,
      text: await fill('nginx/geo-hook-secondary.conf', {
        LISTEN: options.listen,
        NODE_ID: String(node.id),
        PRIMARY_ADDRESS: options.primaryAddress,
        // A secondary with no address of its own in the site file sends from its only one: no proxy_bind.
        // A CIDR range is no address to send from: then too.
        SOURCE_ADDRESS: node.addresses.find((address) => !address.includes('/')) ?? null,
        REPLICAS_BACKEND: at('snippets/geo-hook-replicas-backend.conf'),
      }),
    });
  }
  return { files, yours: [htpasswd, glIdMap, ...(options.mode === 'correlation' ? [token] : [])] };
}
