import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool } from './tools.js';

/** Debian's python (the one python3-fusepy installs into), not whatever python3 is first on PATH. */
const DEBIAN_PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hangingFs.py');

/** What the hanging file system needs beside fusermount3: fusepy for Debian's python, and /dev/fuse. */
export const FUSEPY = {
  what: 'python3-fusepy',
  debianPackage: 'python3-fusepy',
  present: () => spawnSync(DEBIAN_PYTHON, ['-c', 'import fusepy'], { stdio: 'ignore' }).status === 0,
};

export interface HangingFs {
  /** The mount point: secret, config.json, ca.pem and hook.log there hang when opened. */
  readonly dir: string;
  stop(): Promise<void>;
}

/**
 * A real FUSE mount whose files hang on open for `seconds` (then EIO): a
 * network file system whose server went away, which no O_NONBLOCK avoids.
 * The hang is bounded, so a test of a regression fails instead of hanging.
 */
export async function startHangingFs(dir: string, seconds: number): Promise<HangingFs> {
  const child: ChildProcess = spawn(DEBIAN_PYTHON, [SCRIPT, dir, String(seconds)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stop = async () => {
    // Lazily: a hung open still in progress must not keep the unmount waiting.
    spawnSync(findTool('fusermount3'), ['-u', '-z', dir], { stdio: 'ignore' });
    child.kill('SIGKILL');
  };
  for (let i = 0; i < 100; i++) {
    const mounts = await readFile('/proc/mounts', 'utf8');
    if (mounts.split('\n').some((line) => line.split(' ')[1] === dir)) return { dir, stop };
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`the hanging file system did not mount at ${dir}: ${stderr.trim()}`);
}
