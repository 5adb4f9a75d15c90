/**
 * Where a smart-HTTP request goes: a plain repository path, or one forwarded
 * from a secondary under `/-/push_from_secondary/<id>/` (GitLab before 17.10)
 * or `/-/from_secondary/<id>/` (17.10 and later).
 */
export interface LabRoute {
  /** The secondary the request came through; undefined for a request straight to the primary. */
  readonly geoNodeId: number | undefined;
  /** `group/project` (for a wiki, `group/project.wiki`), without `.git`. */
  readonly repositoryPath: string;
  /** What git http-backend is given as PATH_INFO: `/group/project.git/info/refs`. */
  readonly pathInfo: string;
  readonly service: 'upload-pack' | 'receive-pack' | undefined;
  readonly isReceivePackPost: boolean;
}

const SECONDARY_PREFIX = /^\/-\/(?:push_from_secondary|from_secondary)\/([1-9][0-9]{0,15})(\/.*)$/;
const REPOSITORY = /^\/((?:[A-Za-z0-9_][A-Za-z0-9_.-]*\/)+[A-Za-z0-9_][A-Za-z0-9_.-]*?)\.git(\/(?:info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+))$/;

export function routeLabPath(method: string, pathname: string, query: string): LabRoute | undefined {
  let geoNodeId: number | undefined;
  let rest = pathname;
  const secondary = SECONDARY_PREFIX.exec(pathname);
  if (secondary) {
    geoNodeId = Number(secondary[1]);
    rest = secondary[2]!;
  }
  const match = REPOSITORY.exec(rest);
  if (!match || match[1]!.split('/').some((part) => part === '..' || part === '.')) return undefined;
  const [, repositoryPath, endpoint] = match as unknown as [string, string, string];
  const queryService = /(?:^|&)service=git-(upload-pack|receive-pack)(?:&|$)/.exec(query)?.[1];
  const service =
    endpoint === '/git-receive-pack' ? 'receive-pack' : endpoint === '/git-upload-pack' ? 'upload-pack' : (queryService as LabRoute['service']);
  return {
    geoNodeId,
    repositoryPath,
    pathInfo: `/${repositoryPath}.git${endpoint}`,
    service,
    isReceivePackPost: method === 'POST' && endpoint === '/git-receive-pack',
  };
}
