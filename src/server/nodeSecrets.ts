import { UsageError } from '../errors.js';
import { readSecretFile } from '../shared/readSecretFile.js';
import { type GeoSite, isReporting } from './geoSite.js';

export interface NodeSecretFile {
  readonly nodeId: number;
  readonly file: string;
  /** Trimmed, as the hook's. */
  readonly secret: string;
  /** The file's permission bits. */
  readonly mode: number;
}

/**
 * What is wrong with the reporting secondaries' secrets, or undefined (pure).
 * Each of these would let someone other than that node speak for it: a
 * world-readable file, one secret shared by two nodes (each could pass for
 * the other), a node secret equal to the hook's secret or the front-end
 * token (whoever holds those could report for the node, or the reverse).
 */
export function nodeSecretProblem(files: readonly NodeSecretFile[], hookSecret: string, frontendToken: string | undefined): string | undefined {
  const seen = new Map<string, number>();
  for (const { nodeId, file, secret, mode } of files) {
    const where = `node ${nodeId}'s secret file ${file}`;
    if (secret === '') return `${where} is empty`;
    if ((mode & 0o004) !== 0) return `${where} can be read by every user: chmod o-r it (the node's secret is that node's word)`;
    if (secret === hookSecret) return `${where} holds the hook's secret: give each secondary a secret of its own (openssl rand -hex 32)`;
    if (frontendToken !== undefined && secret === frontendToken) return `${where} holds the front-end token: give each secondary a secret of its own (openssl rand -hex 32)`;
    const other = seen.get(secret);
    if (other !== undefined) return `${where} holds the same secret as node ${other}'s: each secondary needs its own, or one could report for the other`;
    seen.set(secret, nodeId);
  }
  return undefined;
}

/**
 * Reads every reporting secondary's secret (at start, and when the site is
 * loaded again); throws a UsageError saying which file and what is wrong.
 * Opened without waiting (a FIFO put there answers at once) and read within
 * a bound.
 */
export async function loadNodeSecrets(site: GeoSite, hookSecret: string, frontendToken: string | undefined): Promise<ReadonlyMap<number, string>> {
  const files: NodeSecretFile[] = [];
  for (const node of site.nodes.values()) {
    if (!isReporting(node)) continue;
    files.push({ nodeId: node.id, file: node.secretFile!, ...(await readSecretFile(node.secretFile!, `node ${node.id}'s secret file ${node.secretFile!}`)) });
  }
  const problem = nodeSecretProblem(files, hookSecret, frontendToken);
  if (problem !== undefined) throw new UsageError(problem, 'ESECRET');
  return new Map(files.map(({ nodeId, secret }) => [nodeId, secret]));
}

