import { readFile } from 'node:fs/promises';

/** Set by the build: the shipped files of deploy/, by their path under it. Undeclared when run from the sources. */
declare const GEO_HOOK_DEPLOY_TEMPLATES: Readonly<Record<string, string>> | undefined;

export type TemplateName =
  | 'nginx/geo-hook-primary.conf'
  | 'nginx/geo-hook-secondary.conf'
  | 'nginx/snippets/geo-hook-correlation.conf'
  | 'nginx/snippets/geo-hook-geo-node-id.conf'
  | 'nginx/snippets/geo-hook-git-http-backend.conf'
  | 'nginx/snippets/geo-hook-no-frontend-token.conf'
  | 'nginx/snippets/geo-hook-replicas-backend.conf'
  | 'apache/geo-hook-primary.conf';

/** A shipped file of deploy/: carried by the build, read from the checkout when run from the sources. */
export async function deployTemplate(name: TemplateName): Promise<string> {
  if (typeof GEO_HOOK_DEPLOY_TEMPLATES === 'object') {
    const text = GEO_HOOK_DEPLOY_TEMPLATES[name];
    if (text === undefined) throw new Error(`the build carries no deploy/${name}`);
    return text;
  }
  return readFile(new URL(`../../deploy/${name}`, import.meta.url), 'utf8');
}
