import { isRecord } from '../shared/isRecord.js';
import { GL_REPOSITORY } from '../shared/identifiers.js';

/** One Geo node as the reference server knows it. */
export interface GeoNode {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly primary: boolean;
  /** Current replication lag in seconds; changed while the server runs. */
  lagSeconds: number;
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
    const { id, name, url, primary, lag_seconds: lag = 0 } = raw;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw new Error(`${where}.id must be a positive integer`);
    if (nodes.has(id)) throw new Error(`${where}.id ${id} is used twice`);
    if (typeof name !== 'string' || name === '') throw new Error(`${where}.name must be a non-empty string`);
    if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/.test(url)) throw new Error(`${where}.url must be an http(s) URL`);
    if (typeof primary !== 'boolean') throw new Error(`${where}.primary must be true or false`);
    if (!isLag(lag)) throw new Error(`${where}.lag_seconds must be a whole number of seconds, 0 or more`);
    nodes.set(id, { id, name, url: url.replace(/\/+$/, ''), primary, lagSeconds: lag });
  });
  const primaries = [...nodes.values()].filter((node) => node.primary);
  if (primaries.length !== 1) throw new Error(`${source} must have exactly one primary node, not ${primaries.length}`);
  const repositories = new Map<string, string>();
  const rawRepositories = json.repositories ?? {};
  if (!isRecord(rawRepositories)) throw new Error(`${source}: "repositories" must map gl_repository to a path`);
  for (const [glRepository, repoPath] of Object.entries(rawRepositories)) {
    if (!GL_REPOSITORY.test(glRepository)) throw new Error(`${source}: repositories key "${glRepository}" is not like "project-<n>"`);
    if (typeof repoPath !== 'string' || !/^[\w.-]+(?:\/[\w.-]+)+$/.test(repoPath)) {
      throw new Error(`${source}: repositories["${glRepository}"] must be a path like "group/project"`);
    }
    repositories.set(glRepository, repoPath);
  }
  return { nodes, primary: primaries[0]!, repositories };
}

export function isLag(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The secondary a referrer id names, if it names one. */
export function secondaryNode(site: GeoSite, nodeId: number | undefined): GeoNode | undefined {
  if (nodeId === undefined) return undefined;
  const node = site.nodes.get(nodeId);
  return node && !node.primary ? node : undefined;
}
