import { resolveConfig } from '../config/resolveConfig.js';
import { UsageError, isGeoHookError } from '../errors.js';
import { MAX_SECRET_BYTES } from '../hook/readBounded.js';
import { readFileSafely } from '../hook/remoteFileIo.js';
import { readConfigFile } from '../commands/readConfigFile.js';
import { fileProblem } from '../shared/fileProblem.js';
import { secretFromFile } from '../shared/jwt.js';
import { withinMs } from '../shared/withinMs.js';

/** How long install waits for a config or secret file (a FIFO, a hung mount) before calling it unreadable. */
const READ_WAIT_MS = 5000;

/**
 * What the installed hook will read on every push, read now: a config file
 * that does not parse, or a secret it names that is missing or empty, would
 * show every pusher of every repository an error. Undefined when usable.
 */
export async function validateHookConfig(configFile: string): Promise<string | undefined> {
  let config;
  try {
    const file = await readConfigFile({ config: configFile }, {}, READ_WAIT_MS);
    config = resolveConfig({ flags: {}, env: {}, file });
  } catch (error) {
    if (isGeoHookError(error)) return error.message;
    throw error;
  }
  if (config.secretFile === undefined) return `config file ${configFile} names no "secretFile": the hook could not sign its calls`;
  try {
    const secretFile = config.secretFile;
    const text = await withinMs(
      readFileSafely(secretFile, MAX_SECRET_BYTES, 'secret file'),
      READ_WAIT_MS,
      () => new UsageError(`secret file ${secretFile} did not answer within ${READ_WAIT_MS / 1000} s (a hung mount?)`, 'ETIMEDOUT'),
    );
    const secret = secretFromFile(text);
    if (secret === '') return `secret file ${config.secretFile} is empty`;
  } catch (error) {
    if (isGeoHookError(error)) return error.message;
    return `secret file ${config.secretFile} ${fileProblem((error as NodeJS.ErrnoException).code)}`;
  }
  return undefined;
}
