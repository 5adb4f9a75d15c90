import { constants } from 'node:fs';
import { access, open, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/options.js';
import type { CodeCacheState } from '../executable/hookAsset.js';
import { resolveConfig, type ConfigSources } from '../config/resolveConfig.js';
import { GeoHookError } from '../errors.js';
import { buildCheckRequest } from '../hook/buildRequest.js';
import type { HttpAnswer } from '../hook/parseResponse.js';
import type { SendOptions, SendResult } from '../hook/sendRequest.js';
import type { ApiRequest } from '../hook/buildRequest.js';
import { type ApiUrl, parseApiUrl } from '../shared/apiUrl.js';
import { JWT_LEEWAY_SECONDS, secretFromFile } from '../shared/jwt.js';
import { readHookScript, shellQuote } from './hookScript.js';
import { validateHookConfig } from './validateHookConfig.js';
import { judgeCliCodeCache, judgeCodeCache, judgeRuntime } from './nodeSupport.js';
import { fileProblem } from '../shared/fileProblem.js';
import { MAX_REPOSITORY_FILE_BYTES, RepositoryRefusal, kindOf, lstatOrNothing, readSmallFile } from './repositoryPaths.js';

export interface CheckResult {
  readonly status: 'ok' | 'warn' | 'fail';
  readonly what: string;
  /** What to do about it, for a warning or a failure. */
  readonly fix?: string;
}

export interface CheckInputs {
  readonly sources: ConfigSources;
  readonly repositories: readonly string[];
  readonly self: readonly string[];
  readonly version: string;
  /** The Node.js geo-hook runs on (process.version). */
  readonly runtimeVersion: string;
  /** Whether V8 took the single executable's code cache in this process. */
  readonly codeCache: CodeCacheState;
  /** The same, for the command line's bundle. */
  readonly cliCodeCache?: CodeCacheState;
  readonly now: () => number;
  readonly send: (request: ApiRequest, options: SendOptions) => Promise<SendResult>;
}

/** What to do about a configuration that does not resolve: a misspelt key is renamed, not "corrected". */
function configurationFix(message: string): string {
  const unknown = /unknown key "([^"]*)"(?: \(did you mean "([^"]*)"\?\))?/.exec(message);
  if (unknown?.[2] !== undefined) return `rename the key "${unknown[1]}" to "${unknown[2]}"`;
  if (unknown) return `remove the key "${unknown[1]}": geo-hook knows no such key (geo-hook post-receive --help lists them)`;
  return 'correct the value it names';
}

/** The Date header has whole seconds: a clock within this of the API's agrees, on one host or two. */
const SKEW_AGREES_SECONDS = 2;
/** Clock skew that still leaves a token some life; beyond the leeway tokens are refused. */
const SKEW_WARN_SECONDS = 30;

/** Checks a hook installation by hand, and says in words what is wrong (`geo-hook check`). */
export async function checkInstallation(inputs: CheckInputs): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (result: CheckResult) => results.push(result);
  // Said first, and never a failure: the hook still works on an old runtime.
  add(judgeRuntime(inputs.runtimeVersion, inputs.now()));
  const codeCache = judgeCodeCache(inputs.codeCache);
  if (codeCache) add(codeCache);
  const cliCodeCache = judgeCliCodeCache(inputs.cliCodeCache ?? 'none');
  if (cliCodeCache) add(cliCodeCache);
  let config: Config;
  try {
    config = resolveConfig(inputs.sources);
    add({ status: 'ok', what: `configuration parses${inputs.sources.file ? ` (${inputs.sources.file.path})` : ''}` });
  } catch (error) {
    add({ status: 'fail', what: `configuration: ${(error as Error).message}`, fix: configurationFix((error as Error).message) });
    return results;
  }
  const api = parseApiUrl(config.apiUrl) as ApiUrl;
  add({ status: 'ok', what: `API URL ${config.apiUrl}` });

  await checkLogFile(config, add);
  const secret = await checkSecretFile(config, add);
  if (secret === undefined) return results.concat(await checkRepositories(inputs));
  await checkApi(inputs, config, api, secret, add);
  return results.concat(await checkRepositories(inputs));
}

async function checkSecretFile(config: Config, add: (result: CheckResult) => void): Promise<string | undefined> {
  const file = config.secretFile;
  if (file === undefined) {
    add({ status: 'fail', what: 'no secret file configured', fix: 'set secretFile in the config file, or GEO_HOOK_SECRET_FILE' });
    return undefined;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    add({
      status: 'fail',
      what: `secret file ${file} ${fileProblem(code)}`,
      fix: code === 'ENOENT' ? 'copy the shared secret from the API server there' : 'let the user git runs as read it (chown, chmod 640)',
    });
    return undefined;
  }
  const secret = secretFromFile(text);
  if (secret === '') {
    add({ status: 'fail', what: `secret file ${file} is empty`, fix: 'copy the shared secret from the API server there' });
    return undefined;
  }
  const mode = (await stat(file)).mode;
  if (mode & 0o004) {
    add({ status: 'fail', what: `secret file ${file} is readable by everyone (mode ${(mode & 0o777).toString(8)})`, fix: `chmod o-rwx ${shellQuote(file)}` });
  } else {
    add({ status: 'ok', what: `secret file ${file} is readable, not empty, and not readable by everyone` });
  }
  return secret;
}

async function checkApi(inputs: CheckInputs, config: Config, api: ApiUrl, secret: string, add: (result: CheckResult) => void): Promise<void> {
  let answer: HttpAnswer;
  const sentAt = inputs.now();
  try {
    const caCertificate = config.caFile === undefined ? undefined : await readFile(config.caFile, 'utf8');
    const request = buildCheckRequest(api, secret, Math.floor(sentAt / 1000), inputs.version);
    answer = (await inputs.send(request, { deadline: sentAt + config.timeout * 1000, caCertificate, user: config.user, password: config.password })).answer;
  } catch (error) {
    const message = error instanceof GeoHookError ? error.message : (error as Error).message;
    add({ status: 'fail', what: message, fix: 'start the API, or correct apiUrl (and caFile for https)' });
    return;
  }
  add({ status: 'ok', what: `the API answers (HTTP ${answer.status})` });
  if (answer.status === 401 || answer.status === 403) {
    add({ status: 'fail', what: `the API refuses our token (HTTP ${answer.status})`, fix: "make the secret file the same as the API server's" });
  } else if (answer.status >= 200 && answer.status < 300) {
    add({ status: 'ok', what: 'the API accepts our token' });
    checkStore(answer.body, add);
  } else {
    add({ status: 'fail', what: `the API's check answered HTTP ${answer.status}`, fix: 'check apiUrl points at the internal API' });
  }
  if (answer.date !== undefined && Number.isFinite(answer.date)) {
    // The Date header has whole seconds; half the round trip is the best guess of when it was stamped.
    const skew = Math.round((answer.date - (sentAt + inputs.now()) / 2) / 1000);
    const abs = Math.abs(skew);
    const what = abs <= SKEW_AGREES_SECONDS ? "clock agrees with the API's (to the Date header's whole seconds)" : `clock is ${abs} s ${skew > 0 ? 'behind' : 'ahead of'} the API's`;
    if (abs <= SKEW_WARN_SECONDS) add({ status: 'ok', what });
    else if (abs <= JWT_LEEWAY_SECONDS) add({ status: 'warn', what, fix: 'synchronise the clocks (NTP): tokens live 60 s' });
    else add({ status: 'fail', what, fix: 'synchronise the clocks (NTP): the API will refuse our tokens' });
  }
}

/** The API's own view of its referrer store: a server up without its store shows no lag to anyone. */
function checkStore(body: string, add: (result: CheckResult) => void): void {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch {
    return;
  }
  const { store, store_reachable: reachable } = (answer ?? {}) as { store?: unknown; store_reachable?: unknown };
  if (reachable === false) {
    add({
      status: 'fail',
      what: `the API's referrer store (${String(store)}) does not answer: pushes through a secondary get no lag message`,
      fix: "start Redis, or correct serve's --store URL; serve reconnects by itself",
    });
  } else if (reachable === true) {
    add({ status: 'ok', what: `the API's referrer store (${String(store)}) answers` });
  }
}

/**
 * The log file, as the hook would open it (appending), but never created
 * here: a check run as root would create it root's, and every hook run as
 * the git user would then log nothing. A log not there yet is judged by
 * its folder: can this user create it there?
 */
async function checkLogFile(config: Config, add: (result: CheckResult) => void): Promise<void> {
  const file = config.logFile;
  if (file === undefined) return;
  const fail = (why: string) =>
    add({ status: 'fail', what: `log file ${file} cannot be written (${why}): the hook runs without its log`, fix: `let the user git runs as write it (this check ran as ${currentUser()})` });
  try {
    const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
    await handle.close();
    add({ status: 'ok', what: `log file ${file} can be written` });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code !== 'ENOENT') {
      fail(code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code);
      return;
    }
  }
  const folder = path.dirname(file);
  const canCreate = await access(folder, constants.W_OK | constants.X_OK).then(() => true, (error: NodeJS.ErrnoException) => error.code ?? 'error');
  if (canCreate === true) add({ status: 'ok', what: `log file ${file} is not there yet: the hook will create it (${currentUser()} can write ${folder})` });
  else fail(canCreate === 'ENOENT' ? 'its folder does not exist' : 'its folder cannot be written');
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'this user';
  }
}

async function checkRepositories(inputs: CheckInputs): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const expected = inputs.self.map(shellQuote).join(' ');
  for (const repository of inputs.repositories) {
    const hook = path.join(repository, 'hooks', 'post-receive');
    const read = await readInstalledHook(repository);
    if (typeof read === 'object') {
      results.push({ status: 'fail', what: `${repository}: ${read.refused}`, fix: 'look at what is there: geo-hook reads no link, FIFO or device in a repository' });
      continue;
    }
    const installed = read === undefined ? undefined : readHookScript(read);
    if (!installed) {
      results.push({ status: 'fail', what: `${repository}: geo-hook is not installed`, fix: `geo-hook install ${shellQuote(repository)}` });
      continue;
    }
    const executable = await access(hook, constants.X_OK).then(() => true, () => false);
    if (!executable) {
      results.push({ status: 'fail', what: `${repository}: hooks/post-receive is not executable`, fix: `chmod +x ${shellQuote(hook)}` });
      continue;
    }
    if (installed.command !== expected) {
      results.push({ status: 'fail', what: `${repository}: the hook runs ${installed.command}, not this geo-hook (${expected})`, fix: `geo-hook install ${shellQuote(repository)} again` });
      continue;
    }
    if (installed.configFile !== undefined) {
      // The config this hook will really read on every push, whatever this check was given.
      const problem = await validateHookConfig(installed.configFile);
      if (problem !== undefined) {
        results.push({ status: 'fail', what: `${repository}: the hook's config file ${installed.configFile}: ${problem}`, fix: 'correct that file, or install again with --config <a good one>' });
        continue;
      }
    }
    const uses = installed.configFile === undefined ? 'its environment (no config file)' : `config file ${installed.configFile}`;
    results.push({ status: 'ok', what: `${repository}: the hook is installed, executable, runs this geo-hook, and uses ${uses}` });
  }
  return results;
}

/**
 * hooks/post-receive's text, read as install reads a repository: hooks/ a
 * real folder, the hook opened without following a link or waiting on a
 * FIFO, at most a small file's size. Check only reads, and what it reads
 * decides nothing but its own words, so this is enough even as root.
 */
async function readInstalledHook(repository: string): Promise<string | undefined | { refused: string }> {
  try {
    const hooks = await lstatOrNothing(path.join(repository, 'hooks'));
    if (hooks === undefined) return undefined;
    if (!hooks.isDirectory()) return { refused: `hooks is ${kindOf(hooks)}, not a folder` };
    const hook = await lstatOrNothing(path.join(repository, 'hooks', 'post-receive'));
    if (hook === undefined) return undefined;
    if (hook.isSymbolicLink()) return { refused: 'hooks/post-receive is a symbolic link: not the script geo-hook install writes' };
    if (!hook.isFile()) return { refused: `hooks/post-receive is ${kindOf(hook)}, not a hook` };
    if (hook.size > MAX_REPOSITORY_FILE_BYTES) return undefined;
    return await readSmallFile(path.join(repository, 'hooks', 'post-receive'));
  } catch (error) {
    if (error instanceof RepositoryRefusal) return { refused: error.message.replace(`${repository}/`, '') };
    return undefined;
  }
}

export function renderCheckResults(results: readonly CheckResult[]): string {
  const marks = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  return results.map((result) => `${marks[result.status]}  ${result.what}${result.fix ? `\n      → ${result.fix}` : ''}`).join('\n').concat('\n');
}
