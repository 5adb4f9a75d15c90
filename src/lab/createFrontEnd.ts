import { randomUUID, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import path from 'node:path';
import type { ReceivePackStep } from '../server/validatePushReferrer.js';
import { runHttpBackend } from './httpBackend.js';
import type { LabMode } from './labModes.js';
import type { PushBarrier } from './pushBarrier.js';
import { routeLabPath } from './routeLabPath.js';

export interface LabAccount {
  readonly username: string;
  readonly password: string;
  /** `key-<n>` for a deploy key, `user-<n>` for a person. */
  readonly glId: string;
}

export interface FrontEndOptions {
  readonly mode: LabMode;
  readonly projectRoot: string;
  /** `group/project` → `project-7`. */
  readonly repositories: ReadonlyMap<string, string>;
  readonly accounts: readonly LabAccount[];
  /** The receive-pack step: stores the referrer where the API will look for it. */
  readonly registerPush: (step: ReceivePackStep) => Promise<void>;
  readonly barrier: PushBarrier;
  /** PATH and the like for git and the hook; nothing else of the lab's own environment leaks in. */
  readonly baseEnv: Readonly<Record<string, string>>;
  readonly log: (record: Record<string, unknown>) => void;
}

/**
 * The front end that stands where Workhorse and the Geo proxy stand: smart
 * HTTP over `git http-backend`, plain and `/-/push_from_secondary/<id>/`
 * paths, a fresh correlation id per receive-pack, the mode's receive-pack
 * step, and the hook's environment (contract section 8).
 */
export function createFrontEnd(options: FrontEndOptions): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const started = Date.now();
    handle(request, response, options)
      .catch((error: unknown) => {
        options.log({ error: error instanceof Error ? error.message : String(error) });
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('internal error\n');
      })
      .finally(() => {
        options.log({ method: request.method, path: request.url, status: response.statusCode, duration_ms: Date.now() - started });
      });
  });
}

async function handle(request: IncomingMessage, response: ServerResponse, options: FrontEndOptions): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://lab');
  const route = routeLabPath(request.method ?? 'GET', url.pathname, url.search.slice(1));
  const glRepository = route && options.repositories.get(route.repositoryPath);
  if (!route || !glRepository) return plain(response, 404, 'Repository not found\n');

  const account = authenticate(request, options.accounts);
  if (account === 'bad' || (route.service === 'receive-pack' && account === undefined)) {
    response.writeHead(401, { 'www-authenticate': 'Basic realm="geo-hook lab"', 'content-type': 'text/plain' });
    response.end('HTTP Basic: Access denied\n');
    return;
  }
  // Reads are anonymous; a push comes from an account.
  const env: Record<string, string> = { ...options.baseEnv, GL_REPOSITORY: glRepository, GL_PROTOCOL: 'http' };
  if (account) Object.assign(env, { GL_ID: account.glId, GL_USERNAME: account.username });

  if (!route.isReceivePackPost || !account) {
    await runHttpBackend(request, response, { projectRoot: options.projectRoot, pathInfo: route.pathInfo, remoteUser: account?.username, env });
    return;
  }

  const correlationId = randomUUID();
  env.CORRELATION_ID = correlationId;
  const geoNodeId = route.geoNodeId;
  if (geoNodeId !== undefined) {
    if (options.mode === 'geo-node-id') env.GEO_NODE_ID = String(geoNodeId);
    else {
      try {
        await options.registerPush({
          geoNodeId,
          // Upstream stores by actor and repository only: no correlation id in legacy mode.
          correlationId: options.mode === 'correlation' ? correlationId : undefined,
          glId: account.glId,
          glRepository,
        });
      } catch (error) {
        // The push goes on; only its lag message is lost, as upstream when Redis is away.
        options.log({ event: 'receive_pack_step_failed', correlation_id: correlationId, error: (error as Error).message });
      }
    }
  }
  options.log({ event: 'receive_pack', correlation_id: correlationId, gl_id: account.glId, gl_repository: glRepository, geo_node_id: geoNodeId ?? null });
  const held = options.barrier.join(geoNodeId === undefined);
  try {
    await held.released;
    await runHttpBackend(request, response, { projectRoot: options.projectRoot, pathInfo: route.pathInfo, remoteUser: account.username, env });
  } finally {
    held.done();
  }
}

function authenticate(request: IncomingMessage, accounts: readonly LabAccount[]): LabAccount | 'bad' | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
  if (!match) return 'bad';
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const [username, password] = colon === -1 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
  const account = accounts.find((candidate) => candidate.username === username);
  if (!account || !sameSecret(account.password, password)) return 'bad';
  return account;
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' });
  response.end(text);
}

export const repositoryDir = (projectRoot: string, repositoryPath: string) => path.join(projectRoot, `${repositoryPath}.git`);
