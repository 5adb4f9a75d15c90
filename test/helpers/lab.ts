import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseLabFixture } from '../../src/lab/fixtureRepositories.js';
import type { LabMode } from '../../src/lab/labModes.js';
import { type Lab, type LabOptions, startLab } from '../../src/lab/startLab.js';
import { FIXTURES, geoHookCommand } from './geoHook.js';

/** A lab over the project's fixtures, its hooks running the geo-hook under test. */
export async function startTestLab(mode: LabMode, extra: Pick<LabOptions, 'hold' | 'externalApi' | 'store'> = {}): Promise<Lab> {
  const [command, args] = geoHookCommand();
  const labFile = path.join(FIXTURES, 'lab.json');
  return startLab({
    mode,
    site: JSON.parse(await readFile(path.join(FIXTURES, 'geo-site.json'), 'utf8')),
    fixture: parseLabFixture(await readFile(labFile, 'utf8'), labFile),
    self: [command, ...args],
    path: process.env.PATH ?? '/usr/bin:/bin',
    ...extra,
  });
}

export async function hookLog(lab: Lab): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(lab.hookLogFile, 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * What a pusher through each secondary of fixtures/geo-site.json must see, as
 * git prints it (one `remote:` line per line, prefix and trailing spaces
 * taken off), written out by hand from contract sections 4 and 5: a newline,
 * the message, two newlines, for each message.
 */
const FORWARDED_LINES = (repositoryPath: string) => [
  '',
  'This request to a Geo secondary node will be forwarded to the',
  'Geo primary node:',
  '',
  `  http://primary.geo.test/${repositoryPath}.git`,
  '',
  '',
];
const LAG_LINES = (seconds: number) => ['', `Current replication lag: ${seconds} seconds`, ''];
/** The fixture's lags: secondary-eu 42 s, secondary-ap 7 s, secondary-us 0 (no lag line). */
const FIXTURE_LAGS: Record<number, number> = { 2: 42, 3: 7, 4: 0 };

/** What a pusher through a reporting secondary sees: the forwarding notice, then the lag line given (none at lag 0). */
export function pusherSeesLine(repositoryPath: string, lagLine: string | undefined): string {
  return [...FORWARDED_LINES(repositoryPath), ...(lagLine === undefined ? [] : ['', lagLine, ''])].join('\n');
}

export function pusherSees(repositoryPath: string, nodeId: number | undefined): string {
  if (nodeId === undefined) return '';
  const lag = FIXTURE_LAGS[nodeId];
  if (lag === undefined) return '';
  return [...FORWARDED_LINES(repositoryPath), ...(lag > 0 ? LAG_LINES(lag) : [])].join('\n');
}
