import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface BackendRequest {
  readonly projectRoot: string;
  readonly pathInfo: string;
  readonly remoteUser: string | undefined;
  /** Extra environment for git and its hooks (GL_ID, CORRELATION_ID, …). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Runs `git http-backend` as a CGI program for one request, as Workhorse
 * hands smart-HTTP to Gitaly: request body to its stdin (gzip left for it to
 * inflate), its CGI headers and body back to the client. Resolves when the
 * response is complete, which for a push is after the post-receive hook ran.
 */
export function runHttpBackend(request: IncomingMessage, response: ServerResponse, backend: BackendRequest): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://lab');
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const env: Record<string, string> = {
    ...backend.env,
    GIT_PROJECT_ROOT: backend.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    REQUEST_METHOD: request.method ?? 'GET',
    PATH_INFO: backend.pathInfo,
    QUERY_STRING: url.search.slice(1),
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
    SERVER_PROTOCOL: `HTTP/${request.httpVersion}`,
    GATEWAY_INTERFACE: 'CGI/1.1',
  };
  const optional: Array<[string, string | undefined]> = [
    ['CONTENT_TYPE', header('content-type')],
    // Without a length (chunked uploads of large packs) http-backend reads to EOF.
    ['CONTENT_LENGTH', header('content-length')],
    ['HTTP_CONTENT_ENCODING', header('content-encoding')],
    ['GIT_PROTOCOL', header('git-protocol')],
    ['REMOTE_USER', backend.remoteUser],
  ];
  for (const [name, value] of optional) if (value !== undefined) env[name] = value;

  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk.slice(0, 4096)));
    child.stdin.on('error', () => {});
    request.pipe(child.stdin);

    let head = Buffer.alloc(0);
    let headersSent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        response.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = findHeaderEnd(head);
      if (end === undefined) return;
      const { status, headers } = parseCgiHeaders(head.subarray(0, end.index).toString('latin1'));
      response.writeHead(status, headers);
      headersSent = true;
      const body = head.subarray(end.index + end.length);
      if (body.length > 0) response.write(body);
    });
    child.on('error', (error) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`git http-backend failed: ${error.message}\n`);
      resolve();
    });
    child.on('close', (code) => {
      if (!headersSent) {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`git http-backend failed (${code}): ${stderr}`);
      } else {
        response.end();
      }
      resolve();
    });
    request.on('aborted', () => child.kill());
  });
}

function findHeaderEnd(buffer: Buffer): { index: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf !== -1) return { index: lf, length: 2 };
  return undefined;
}

export function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
