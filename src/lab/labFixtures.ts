import { readFile } from 'node:fs/promises';
import geoSite from '../../fixtures/geo-site.json' with { type: 'json' };
import replicatingSite from '../../fixtures/geo-site-replicating.json' with { type: 'json' };
import labFixture from '../../fixtures/lab.json' with { type: 'json' };
import { UsageError } from '../errors.js';
import { type LabFixture, parseLabFixture } from './fixtureRepositories.js';

/**
 * The lab's Geo site and repository recipes: the given files, or the
 * project's fixtures, built in so that the single executable has them too
 * (secondaries with fixed lags for the race, reporting ones for replication).
 */
export async function loadLabFixtures(nodesFile: string | undefined, labFile: string | undefined, replicating = false): Promise<{ site: unknown; fixture: LabFixture }> {
  try {
    const site: unknown = nodesFile === undefined ? (replicating ? replicatingSite : geoSite) : JSON.parse(await readFile(nodesFile, 'utf8'));
    const fixture = labFile === undefined ? parseLabFixture(JSON.stringify(labFixture), 'fixtures/lab.json') : parseLabFixture(await readFile(labFile, 'utf8'), labFile);
    return { site, fixture };
  } catch (error) {
    throw new UsageError(`lab fixtures: ${(error as Error).message}`, 'ECONFIG', error);
  }
}
