import { readFile } from 'node:fs';
import { promisify } from 'node:util';
import { configFilePath } from '../config/resolveConfig.js';
import { UsageError } from '../errors.js';

/** Reads the config file named by --config or GEO_HOOK_CONFIG, if any. */
export async function readConfigFile(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ path: string; text: string } | undefined> {
  const path = configFilePath(flags, env);
  if (path === undefined) return undefined;
  try {
    return { path, text: await promisify(readFile)(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`config file ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`, 'ECONFIG', error);
  }
}
