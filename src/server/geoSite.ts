import { isIP } from 'node:net';
import path from 'node:path';
import { isRecord } from '../shared/isRecord.js';
import { GL_REPOSITORY, isRepositoryPath } from '../shared/identifiers.js';
import { isWholeNumber } from '../shared/numbers.js';

/** One Geo node as the reference server knows it. */
export interface GeoNode {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly primary: boolean;
  /**
   * A static node's lag in seconds, as the site file says (a PUT, kept in the
   * store, may say otherwise); 0 for a reporting node.
   */
  readonly lagSeconds: number;
  /**
   * A reporting secondary's own secret (contract section 11), resolved
   * against the site file's folder: its lag is measured, not typed.
   */
  readonly secretFile?: string;
  /**
   * A secondary's addresses (IP or CIDR), as the primary's web server sees
   * them: only these may push under /-/push_from_secondary/<its id>/.
   */
  readonly addresses: readonly string[];
}

/** The Geo installation: its nodes, and where each repository lives on the primary. */
export interface GeoSite {
  readonly nodes: ReadonlyMap<number, GeoNode>;
  readonly primary: GeoNode;
  /** gl_repository (`project-7`) → path on the primary (`group/project`). */
  readonly repositories: ReadonlyMap<string, string>;
}


/** Parses the nodes file; throws an Error whose message says what is wrong and where. */
export function parseGeoSite(text: string, source: string): GeoSite {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(json) || !Array.isArray(json.nodes)) throw new Error(`${source} must be an object with a "nodes" array`);
  const nodes = new Map<number, GeoNode>();
  json.nodes.forEach((raw: unknown, index) => {
    const where = `${source}: nodes[${index}]`;
    if (!isRecord(raw)) throw new Error(`${where} is not an object`);
    const { id, name, url, primary, lag_seconds: lag = 0, addresses = [], secret_file: secretFile } = raw;
    if (!isWholeNumber(id) || id < 1) throw new Error(`${where}.id must be a positive integer`);
    if (nodes.has(id)) throw new Error(`${where}.id ${id} is used twice`);
    if (typeof name !== 'string' || name === '') throw new Error(`${where}.name must be a non-empty string`);
    if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) throw new Error(`${where}.url must be an http(s) URL`);
    if (typeof primary !== 'boolean') throw new Error(`${where}.primary must be true or false`);
    if (!isLag(lag)) throw new Error(`${where}.lag_seconds must be a whole number of seconds, 0 or more`);
    if (!Array.isArray(addresses) || !addresses.every((address) => typeof address === 'string' && isAddress(address))) {
      throw new Error(`${where}.addresses must be a list of IP addresses or CIDR ranges, like "192.0.2.10" or "2001:db8::/64"`);
    }
    if (primary === true && addresses.length > 0) throw new Error(`${where}.addresses is for secondaries: the primary does not push from a secondary`);
    if (secretFile !== undefined) {
      if (typeof secretFile !== 'string' || secretFile.trim() === '' || secretFile.includes('\0')) throw new Error(`${where}.secret_file must be the path of the node's secret file`);
      if (primary === true) throw new Error(`${where}.secret_file is for secondaries: the primary does not report its replication`);
      if (raw.lag_seconds !== undefined) {
        throw new Error(`${where} has both secret_file and lag_seconds: a reporting node's lag is measured; drop lag_seconds (or secret_file, for a fixed lag)`);
      }
    }
    nodes.set(id, {
      id,
      name,
      url: url.replace(/\/+$/, ''),
      primary,
      lagSeconds: lag,
      addresses,
      ...(secretFile !== undefined && { secretFile: path.isAbsolute(secretFile) ? secretFile : path.join(path.dirname(source), secretFile) }),
    });
  });
  const primaries = [...nodes.values()].filter((node) => node.primary);
  if (primaries.length !== 1) throw new Error(`${source} must have exactly one primary node, not ${primaries.length}`);
  const repositories = new Map<string, string>();
  const rawRepositories = json.repositories ?? {};
  if (!isRecord(rawRepositories)) throw new Error(`${source}: "repositories" must map gl_repository to a path`);
  for (const [glRepository, repoPath] of Object.entries(rawRepositories)) {
    if (!GL_REPOSITORY.test(glRepository)) throw new Error(`${source}: repositories key "${glRepository}" is not like "project-<n>"`);
    if (!isRepositoryPath(repoPath)) {
      throw new Error(`${source}: repositories["${glRepository}"] must be a path like "group/project"`);
    }
    repositories.set(glRepository, repoPath);
  }
  return { nodes, primary: primaries[0]!, repositories };
}

/** An IPv4 or IPv6 address, with an optional prefix length: what nginx's geo and Apache's Require ip take. */
export function isAddress(value: string): boolean {
  // split gives at least one part.
  const [address, prefix, ...rest] = value.split('/') as [string, ...string[]];
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^(?:0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

export function isLag(value: unknown): value is number {
  return isWholeNumber(value) && value >= 0;
}

/** The secondary a referrer id names, if it names one. */
export function secondaryNode(site: GeoSite, nodeId: number | undefined): GeoNode | undefined {
  // A Map has no entry under undefined: no id, no node.
  const node = site.nodes.get(nodeId as number);
  return node && !node.primary ? node : undefined;
}

/** A secondary whose lag is measured from its own reports (it has a secret), not typed. */
export function isReporting(node: GeoNode): boolean {
  return node.secretFile !== undefined;
}
