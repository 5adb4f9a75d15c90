import type { ChildProcess } from 'node:child_process';
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { appendLogLine } from './appendLogLine.js';
import { isReallyRemote } from './mountOf.js';
import { readBounded } from './readBounded.js';

/**
 * Files the hook reads and writes, kept out of its own process when they
 * are on a file system whose server can stop answering (NFS, CIFS, FUSE…):
 * there an open() waits in the kernel, uninterruptibly, and a process with a
 * thread in that wait cannot even exit (SIGKILL included), so git push would
 * wait with it. A small helper process does that read instead; at the
 * deadline the hook leaves it behind and ends. Local files are read as
 * before, in the process (a spawn costs a push a few milliseconds).
 */
let mounts: string | undefined;

function isRemote(file: string): boolean {
  // /proc/mounts is the kernel's own list: reading it never waits on a server.
  mounts ??= (() => {
    try {
      return readFileSync('/proc/mounts', 'utf8');
    } catch {
      return '';
    }
  })();
  return isReallyRemote(path.resolve(file), mounts, readLinkOrNothing);
}

/** A component's link target, or undefined when it is no link (or cannot be looked at: the read then says why). */
function readLinkOrNothing(component: string): string | undefined {
  try {
    return lstatSync(component).isSymbolicLink() ? readlinkSync(component) : undefined;
  } catch {
    return undefined;
  }
}

export async function readFileSafely(file: string, maxBytes: number, what: string): Promise<string> {
  return isRemote(file) ? readInHelper(file, maxBytes, what) : readBounded(file, maxBytes, what);
}

export async function appendLogLineSafely(file: string, line: string): Promise<void> {
  // Rotation needs a stat and a rename: on a remote file system the helper only appends.
  return isRemote(file) ? appendInHelper(file, line) : appendLogLine(file, line);
}

/** The helper's environment: a known PATH, messages in English (they are read back). */
const HELPER_ENV = { PATH: '/usr/bin:/bin', LC_ALL: 'C' };

/** Only a hook with a file on a remote file system pays for loading node:child_process. */
function spawnHelper(script: string, args: readonly string[], stdio: ['ignore' | 'pipe', 'ignore' | 'pipe', 'pipe']): ChildProcess {
  // Not import(): the single executable cannot resolve one; getBuiltinModule loads a builtin on first use.
  const { spawn } = process.getBuiltinModule('node:child_process');
  return spawn('/bin/sh', ['-c', script, ...args], { env: HELPER_ENV, stdio });
}

function readInHelper(file: string, maxBytes: number, what: string): Promise<string> {
  const child = spawnHelper('exec head -c "$0" -- "$1"', [String(maxBytes + 1), file], ['ignore', 'pipe', 'pipe']);
  return new Promise((resolve, reject) => {
    leaveBehindable(child);
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => reject(error));
    child.on('close', (status) => {
      if (status !== 0) {
        reject(helperError(stderr));
        return;
      }
      if (size > maxBytes) reject(new UsageError(`${what} ${file} is larger than ${maxBytes} bytes: is it the right file?`, 'ETOOLARGE'));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

function appendInHelper(file: string, line: string): Promise<void> {
  // umask 027: the log is created 0640, as the hook creates it itself.
  const child = spawnHelper('umask 027; exec cat >> "$0"', [file], ['pipe', 'ignore', 'pipe']);
  return new Promise((resolve, reject) => {
    leaveBehindable(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin!.on('error', () => {});
    child.on('error', (error) => reject(error));
    child.on('close', (status) => (status === 0 ? resolve() : reject(helperError(stderr))));
    child.stdin!.end(line);
  });
}

/**
 * A helper never keeps the process alive: the caller's deadline does, while
 * it waits; past it the process ends and the helper, stuck, is left behind.
 */
function leaveBehindable(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
}

/** head's and the shell's complaint, back to the error code the callers word (fileProblem). */
function helperError(stderr: string): NodeJS.ErrnoException {
  const codes: Array<[RegExp, string]> = [
    [/No such file or directory/, 'ENOENT'],
    [/Permission denied/, 'EACCES'],
    [/Is a directory/, 'EISDIR'],
    [/Not a directory/, 'ENOTDIR'],
    [/Input\/output error/, 'EIO'],
    [/Transport endpoint is not connected|Stale file handle/, 'EIO'],
  ];
  const code = codes.find(([pattern]) => pattern.test(stderr))?.[1] ?? 'EIO';
  return Object.assign(new Error(stderr.trim().split('\n')[0] ?? code), { code });
}
