import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LOCK_FILE, lockFolder, parseLockText, processStart } from '../../src/replicator/folderLock.js';
import { makeTempDir } from '../helpers/geoHook.js';

/** One replicator per replica folder (contract section 12), its lock judged against real processes. */
const test = suite('the replica folder lock');

const lockIn = (dir: string) => path.join(dir, LOCK_FILE);

test('taken, refused to a second taker while its holder lives, released', async () => {
  const dir = await makeTempDir();
  const lock = await lockFolder(dir);
  assert.is(await readFile(lockIn(dir), 'utf8'), `${process.pid} ${processStart(process.pid)}\n`);
  try {
    await lockFolder(dir);
    assert.unreachable('a second lock');
  } catch (error) {
    assert.is((error as Error).message, `another geo-hook replicate (pid ${process.pid}) keeps ${dir}: one replicator per folder (${lockIn(dir)})`);
  }
  await lock.release();
  assert.equal(await readdir(dir), [], 'nothing left behind');
});

test("a lock whose process is gone is taken over; one whose pid now belongs to another process (another start time) too", async () => {
  const dir = await makeTempDir();
  const child = spawn('true');
  await new Promise((resolve) => child.on('exit', resolve));
  await writeFile(lockIn(dir), `${child.pid} 12345\n`);
  const first = await lockFolder(dir);
  await first.release();
  // This very process, as if it were an old holder whose pid was used again: its start time differs.
  await writeFile(lockIn(dir), `${process.pid} ${Number(processStart(process.pid)) + 1}\n`);
  const second = await lockFolder(dir, { pid: 4_000_000, started: '1' });
  assert.is(await readFile(lockIn(dir), 'utf8'), '4000000 1\n');
  await second.release();
});

test('a lock file that is a link, or holds nothing readable, is stale: never followed, never written through', async () => {
  const dir = await makeTempDir();
  const elsewhere = path.join(dir, 'elsewhere');
  await mkdir(path.join(dir, 'replicas'));
  await writeFile(elsewhere, 'keep\n');
  await symlink(elsewhere, lockIn(path.join(dir, 'replicas')));
  const lock = await lockFolder(path.join(dir, 'replicas'));
  assert.is(await readFile(elsewhere, 'utf8'), 'keep\n');
  await lock.release();
  await writeFile(lockIn(dir), 'garbage');
  await (await lockFolder(dir)).release();
});

test('parseLockText: "<pid> <start time>" only', () => {
  assert.equal(parseLockText('123 456\n'), { pid: 123, started: '456' });
  for (const bad of ['', '0 1\n', '-1 2\n', '12\n', '1 2 3\n', 'a b\n']) assert.is(parseLockText(bad), undefined, bad);
});

test.run();
