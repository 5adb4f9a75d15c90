import { readFile } from 'node:fs/promises';
import type { Config } from '../config/options.js';
import { ApiError, UsageError } from '../errors.js';
import { sendRequest } from '../hook/sendRequest.js';
import { NO_SECRET_FILE } from '../messages.js';
import type { NodeView } from '../server/nodeView.js';
import { parseApiUrl, displayUrl, endpointUrl } from '../shared/apiUrl.js';
import { fileProblem } from '../shared/fileProblem.js';
import { JWT_HEADER, claimsAt, secretFromFile, signJwt } from '../shared/jwt.js';
import { showControls } from '../hook/showControls.js';
import { parseNodes } from './renderStatus.js';

const NODES_PATH = '/api/v4/internal/geo/nodes';

/** GET geo/nodes with the hook's credential, within the configured timeout; a failure is one ApiError or UsageError. */
export async function fetchNodes(config: Config, version: string, now: () => number = Date.now): Promise<{ nodes: NodeView[]; apiUrl: string }> {
  if (config.secretFile === undefined) throw new UsageError(NO_SECRET_FILE, 'ESECRET');
  const api = parseApiUrl(config.apiUrl);
  if ('error' in api) throw new UsageError(`apiUrl ${api.error}`, 'ECONFIG');
  const secret = secretFromFile(await readText(config.secretFile, 'secret file'));
  if (secret === '') throw new UsageError(`secret file ${config.secretFile} is empty`, 'ESECRET');
  const caCertificate = config.caFile === undefined ? undefined : await readText(config.caFile, 'CA file');
  const request = {
    method: 'GET' as const,
    url: endpointUrl(api, NODES_PATH),
    displayUrl: displayUrl(api, NODES_PATH),
    headers: { 'user-agent': `geo-hook/${version}`, [JWT_HEADER.toLowerCase()]: signJwt(claimsAt(Math.floor(now() / 1000)), secret) },
  };
  const { answer } = await sendRequest(request, { deadline: now() + config.timeout * 1000, caCertificate, user: config.user, password: config.password });
  if (answer.status === 401 || answer.status === 403) {
    throw new ApiError(`the API refused our credentials (HTTP ${answer.status}) at ${request.displayUrl}: check the secret file`, 'EAUTH', answer.status);
  }
  if (answer.status !== 200) throw new ApiError(`the API answered HTTP ${answer.status} at ${request.displayUrl}: ${showControls(answer.body.slice(0, 200).trim())}`, 'ESTATUS', answer.status);
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    body = undefined;
  }
  const nodes = parseNodes(body);
  if (nodes === undefined) throw new ApiError(`the API's answer at ${request.displayUrl} is not a list of Geo nodes (is apiUrl a geo-hook serve?)`, 'ECONTRACT', answer.status);
  return { nodes, apiUrl: displayUrl(api, '') };
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${what} ${file} ${fileProblem((error as NodeJS.ErrnoException).code)}`, 'EFILE', error);
  }
}
