import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { claimsAt, nodeAuthorization, signJwt } from '../../src/shared/jwt.js';

/** A secondary played by the test: it speaks to serve's node endpoints over HTTP with its own credential. */
export interface ScriptedSecondary {
  readonly nodeId: number;
  /** GET geo/<endpoint>, with this node's credential (or the given Authorization). */
  get(endpoint: string, authorization?: string): Promise<{ status: number; body: any; ms: number }>;
  /** POST geo/status. */
  report(body: Record<string, unknown>, authorization?: string): Promise<number>;
  authorization(at?: number): string;
}

export function scriptedSecondary(apiUrl: string, nodeId: number, secret: string): ScriptedSecondary {
  const authorization = (at = Math.floor(Date.now() / 1000)) => nodeAuthorization(nodeId, secret, at);
  return {
    nodeId,
    authorization,
    get: async (endpoint, given) => {
      const started = Date.now();
      const response = await fetch(`${apiUrl}/api/v4/internal/geo/${endpoint}`, { headers: { authorization: given ?? authorization() }, signal: AbortSignal.timeout(40_000) });
      const text = await response.text();
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text), ms: Date.now() - started };
    },
    report: async (body, given) => {
      const response = await fetch(`${apiUrl}/api/v4/internal/geo/status`, {
        method: 'POST',
        headers: { authorization: given ?? authorization(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

/** The hook's JWT header, for the hook's endpoints. */
export function hookHeaders(secret: string): Record<string, string> {
  return { 'gitlab-shell-api-request': signJwt(claimsAt(Math.floor(Date.now() / 1000)), secret) };
}

export const NODE_SECRETS: Record<number, string> = { 2: 'node-2-secret-0123456789abcdef', 3: 'node-3-secret-0123456789abcdef' };

/**
 * A site of reporting nodes: the primary, secondaries 2 and 3 reporting
 * (each its own secret file, 0600), 4 static at 7 seconds; its secrets
 * written beside it.
 */
export async function writeReportingSite(dir: string): Promise<string> {
  for (const [id, secret] of Object.entries(NODE_SECRETS)) {
    const file = path.join(dir, `node-${id}.secret`);
    await writeFile(file, `${secret}\n`);
    await chmod(file, 0o600);
  }
  const site = {
    nodes: [
      { id: 1, name: 'primary', url: 'http://primary.geo.test', primary: true },
      { id: 2, name: 'secondary-eu', url: 'http://eu.geo.test', primary: false, secret_file: 'node-2.secret' },
      { id: 3, name: 'secondary-ap', url: 'http://ap.geo.test', primary: false, secret_file: 'node-3.secret' },
      { id: 4, name: 'secondary-us', url: 'http://us.geo.test', primary: false, lag_seconds: 7 },
    ],
    repositories: { 'project-1': 'geo/demo', 'project-7': 'group/project' },
  };
  const file = path.join(dir, 'geo-site.json');
  await writeFile(file, JSON.stringify(site, null, 2));
  return file;
}
