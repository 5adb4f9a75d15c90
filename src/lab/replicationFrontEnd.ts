import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { isRepositoryPath } from '../shared/identifiers.js';
import { runHttpBackend } from './httpBackend.js';

export interface ReplicationFrontEndOptions {
  /** The primary's repositories. */
  readonly projectRoot: string;
  /** serve's replication_auth, which every request is checked with; none for a secondary's own clone server. */
  readonly replicationAuthUrl: string | undefined;
  /** Where the repositories are under: `/-/geo/replication` on the primary, '' on a secondary. */
  readonly pathPrefix: string;
  /** PATH for git http-backend. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** Paths refused for now with a 500 (the lab's and tests' way to make a repository fail to fetch). */
  readonly refused?: ReadonlySet<string>;
}

/**
 * The lab's stand-in for the primary's web server at
 * `/-/geo/replication/<path>.git/…` (contract section 12), doing what the
 * shipped nginx file does: upload-pack only, every request checked with
 * serve's replication_auth (the Authorization header passed on), failing
 * closed. Without a check and a prefix, a secondary's clone server over its
 * replicas, as its shipped nginx file serves them.
 */
export function createReplicationFrontEnd(options: ReplicationFrontEndOptions): Server {
  return createServer((request, response) => {
    handle(request, response, options).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
}

const UPLOAD_PACK_PATH = /^\/(.+)\.git(\/info\/refs|\/git-upload-pack)$/;

async function handle(request: IncomingMessage, response: ServerResponse, options: ReplicationFrontEndOptions): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://primary');
  const match = url.pathname.startsWith(`${options.pathPrefix}/`) ? UPLOAD_PACK_PATH.exec(url.pathname.slice(options.pathPrefix.length)) : null;
  const upload =
    match !== null &&
    isRepositoryPath(match[1]!) &&
    ((request.method === 'GET' && match[2] === '/info/refs' && url.searchParams.get('service') === 'git-upload-pack') || (request.method === 'POST' && match[2] === '/git-upload-pack'));
  if (!upload) return plain(response, 403, 'replication fetches only (upload-pack)\n');
  if (options.replicationAuthUrl !== undefined) {
    // As auth_request: any answer but 204, or none, refuses.
    const checked = await fetch(options.replicationAuthUrl, { headers: { authorization: String(request.headers.authorization ?? '') }, signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    await checked?.arrayBuffer().catch(() => undefined);
    if (checked?.status !== 204) return plain(response, 401, 'this node is not allowed to replicate\n');
  }
  if (options.refused?.has(match[1]!)) return plain(response, 500, 'refused for now\n');
  // A push to a replica is refused by git too, whatever reached it.
  const env = { ...options.baseEnv, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.receivepack', GIT_CONFIG_VALUE_0: 'false' };
  await runHttpBackend(request, response, { projectRoot: options.projectRoot, pathInfo: `/${match[1]}.git${match[2]}`, remoteUser: undefined, env });
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}
