import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendLogLine } from '../../src/hook/appendLogLine.js';
import { EMPTY_REPLY, json, startFakeApi } from '../helpers/fakeApi.js';
import { refLine, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';

test('concurrent hooks write whole lines to one log', async () => {
  await withTempDir(async (dir) => {
    const api = await startFakeApi((_, response) => json(response, 200, EMPTY_REPLY));
    try {
      const logFile = path.join(dir, 'hook.log');
      const env = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_LOG_FILE: logFile };
      const runs = 16;
      await Promise.all(Array.from({ length: runs }, (_, i) => runGeoHook(['post-receive'], { env: { ...env, CORRELATION_ID: `run-${i}` }, stdin: refLine() })));
      const lines = (await readFile(logFile, 'utf8')).split('\n').filter(Boolean);
      assert.is(lines.length, runs);
      const ids = lines.map((line) => JSON.parse(line).correlation_id as string).sort();
      assert.equal(ids, Array.from({ length: runs }, (_, i) => `run-${i}`).sort());
    } finally {
      await api.close();
    }
  });
});

test("the log's attempts are the attempts made: the same count as --verbose shows, refused and 503", async () => {
  await withTempDir(async (dir) => {
    const logFile = path.join(dir, 'hook.log');
    const busy = await startFakeApi((_, response) => json(response, 503, { message: 'busy' }));
    try {
      const base = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_LOG_FILE: logFile, GEO_HOOK_TIMEOUT: '10' };
      // Nothing listens on port 9: every attempt is refused, and retried (contract section 6).
      for (const apiUrl of ['http://127.0.0.1:9', busy.url]) {
        const result = await runGeoHook(['post-receive', '--verbose'], { env: { ...base, GEO_HOOK_API_URL: apiUrl }, stdin: refLine() });
        const shown = result.stderr.split('\n').filter((line) => /\] attempt \d+: /.test(line)).length;
        assert.ok(shown > 1, result.stderr);
        const record = JSON.parse((await readFile(logFile, 'utf8')).trim().split('\n').at(-1)!) as { attempts: number };
        assert.is(record.attempts, shown, apiUrl);
      }
      assert.is(busy.seen.length, 4, 'the 503s: four attempts in all');
    } finally {
      await busy.close();
    }
  });
});

test('the log is bounded: past its size it rotates to .1', async () => {
  await withTempDir(async (dir) => {
    const logFile = path.join(dir, 'hook.log');
    await writeFile(logFile, 'x'.repeat(95) + '\n');
    await appendLogLine(logFile, '{"n":1}\n', 100);
    assert.is(await readFile(`${logFile}.1`, 'utf8'), 'x'.repeat(95) + '\n{"n":1}\n');
    await appendLogLine(logFile, '{"n":2}\n', 100);
    assert.is(await readFile(logFile, 'utf8'), '{"n":2}\n');
  });
});

test.run();
