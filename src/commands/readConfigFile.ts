import { configFilePath } from '../config/resolveConfig.js';
import { UsageError, isGeoHookError } from '../errors.js';
import { MAX_CONFIG_BYTES } from '../hook/readBounded.js';
import { readFileSafely } from '../hook/remoteFileIo.js';
import { fileProblem } from '../shared/fileProblem.js';
import { withinMs } from '../shared/withinMs.js';

/**
 * Reads the config file named by --config or GEO_HOOK_CONFIG, if any: at
 * most a MiB, and, when a wait is given, within it (a FIFO or a hung network
 * file system never answers).
 */
export async function readConfigFile(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  waitMs?: number,
  gaveUp?: () => void,
): Promise<{ path: string; text: string } | undefined> {
  const path = configFilePath(flags, env);
  if (path === undefined) return undefined;
  try {
    const reading = readFileSafely(path, MAX_CONFIG_BYTES, 'config file');
    if (waitMs === undefined) return { path, text: await reading };
    return { path, text: await withinMs(reading, waitMs, () => new UsageError(`timed out reading the config file ${path}`, 'ETIMEDOUT'), gaveUp) };
  } catch (error) {
    if (isGeoHookError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`config file ${path} ${fileProblem(code)}`, 'ECONFIG', error);
  }
}
