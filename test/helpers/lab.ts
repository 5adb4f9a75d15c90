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
