import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { remoteText } from '../../src/lab/readPushOutput.js';
import { runScenario } from '../../src/lab/raceScenarios.js';
import { startFakeApi } from '../helpers/fakeApi.js';
import { cleanEnv, refLine, runGeoHook, withTempDir, writeSecret } from '../helpers/geoHook.js';
import { hookLog, pusherSees, startTestLab } from '../helpers/lab.js';
import { makeBareRepository, makeWorkRepository } from '../helpers/repositories.js';

test('the API killed in the middle of a request: one line, within the deadline', async () => {
  await withTempDir(async (dir) => {
    // A real server process that takes the request and dies before answering.
    const server = spawn(process.execPath, ['-e', `
      require('http').createServer(() => process.stdout.write('got\\n')).listen(0, '127.0.0.1', function () {
        process.stdout.write('port ' + this.address().port + '\\n');
      });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const port = await new Promise<number>((resolve) =>
      server.stdout!.on('data', (chunk: Buffer) => {
        out += chunk;
        const match = /port (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
        if (out.includes('got')) server.kill('SIGKILL');
      }),
    );
    const result = await runGeoHook(['post-receive'], {
      env: { GL_ID: 'key-1', GL_REPOSITORY: 'project-7', GEO_HOOK_API_URL: `http://127.0.0.1:${port}`, GEO_HOOK_SECRET_FILE: await writeSecret(dir), GEO_HOOK_TIMEOUT: '5' },
      stdin: refLine(),
    });
    assert.is(result.code, 1);
    assert.match(result.stderr, /^geo-hook: the API at http:\/\/127.0.0.1:\d+\/api\/v4\/internal\/post_receive closed the connection before answering\n$/);
    assert.ok(result.ms < 5000);
  });
});

test('whatever the API does, the push itself succeeds and its refs are updated', async () => {
  await withTempDir(async (dir) => {
    const api = await startFakeApi(() => {}); // never answers
    try {
      const config = path.join(dir, 'config.json');
      const logFile = path.join(dir, 'hook.log');
      await writeFile(config, JSON.stringify({ apiUrl: api.url, secretFile: await writeSecret(dir), timeout: 1, logFile }));
      const bare = await makeBareRepository(path.join(dir, 'a.git'));
      assert.is((await runGeoHook(['install', bare, '--config', config])).code, 0);
      const work = path.join(dir, 'work');
      const git = await makeWorkRepository(work);
      await writeFile(path.join(work, 'f'), 'f\n');
      await git.add('f').commit('f');
      let stderr = '';
      const started = Date.now();
      await simpleGit(work)
        .env(cleanEnv({ GL_ID: 'key-42', GL_REPOSITORY: 'project-7' }))
        .outputHandler((_c, _o, errors) => errors.on('data', (chunk: Buffer) => (stderr += chunk)))
        .push(bare, 'HEAD:refs/heads/main');
      assert.ok(Date.now() - started < 5000, 'the push waited no longer than the hook deadline');
      // The pusher is told in words without the server's address; the log has the whole line.
      assert.is(remoteText(stderr), "geo-hook: no replication lag message this time (the server's hook could not reach its API); your push succeeded");
      const record = JSON.parse((await readFile(logFile, 'utf8')).trim()) as { error: string; error_code: string };
      assert.match(record.error, new RegExp(`^the API at http://127\\.0\\.0\\.1:${new URL(api.url).port}/api/v4/internal/post_receive did not answer within 1 s$`));
      assert.is((await simpleGit(bare).revparse(['refs/heads/main'])).trim(), (await git.revparse(['HEAD'])).trim());
    } finally {
      await api.close();
    }
  });
});

test('load: 50 pushes at once through the lab against one server, each sees exactly its message, none lost or doubled', async () => {
  const lab = await startTestLab('correlation');
  try {
    const outcomes = await runScenario(lab, 'different-secondaries', { concurrency: 50, rounds: 1, path: process.env.PATH ?? '', expect: pusherSees });
    assert.is(outcomes.length, 50);
    assert.is(outcomes.filter((outcome) => !outcome.ok).map((o) => `${o.push}: ${o.expected} / ${o.saw} ${o.error ?? ''}`).join('\n'), '');
    const runs = (await hookLog(lab)).filter((record) => record.outcome === 'ok');
    assert.is(runs.length, 50);
    assert.is(new Set(runs.map((record) => record.correlation_id)).size, 50);
  } finally {
    await lab.close();
  }
});

test('the lab and its API listen on loopback unless told otherwise', async () => {
  const lab = await startTestLab('geo-node-id');
  try {
    assert.match(lab.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(lab.apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  } finally {
    await lab.close();
  }
});

test.run();
