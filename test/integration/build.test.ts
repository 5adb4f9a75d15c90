import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/geoHook.js';

const OUTPUTS = ['dist/geo-hook', 'dist/geo-hook.cjs', 'dist/geo-hook-cli.cjs'];
const digest = async (file: string) => createHash('sha256').update(await readFile(path.join(ROOT, file))).digest('hex');

test('npm run build is reproducible: building again gives the same bytes', async () => {
  const before = await Promise.all(OUTPUTS.map(digest));
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['scripts/build-sea.mjs'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' } }, (error) => (error ? reject(error) : resolve())),
  );
  assert.equal(await Promise.all(OUTPUTS.map(digest)), before);
});

test('the hook entry bundle stays small: no argument parser, server, lab or Redis client in it', async () => {
  const entry = await readFile(path.join(ROOT, 'dist/geo-hook.cjs'), 'utf8');
  assert.ok(entry.length < 200_000, `${entry.length} bytes`);
  for (const marker of ['yargs', 'ioredis', 'simple-git', 'git http-backend']) assert.not.ok(entry.includes(marker), marker);
});

test.run();
