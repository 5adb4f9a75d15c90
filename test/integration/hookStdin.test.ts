import { spawn, spawnSync } from 'node:child_process';
import { close, closeSync, constants, openSync, write as writeFd } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMPTY_REPLY, type FakeApi, json, startFakeApi } from '../helpers/fakeApi.js';
import { cleanEnv, geoHookCommand, withTempDir, writeSecret } from '../helpers/geoHook.js';

/**
 * How the ref updates reach the hook. git writes them into a pipe and closes
 * it, usually before node is up: the hook reads what is there at once and
 * makes a stream only for the rest, which must come in order, whole, within
 * the deadline and within the contract's 32 MiB. node's own child_process
 * gives a child a socket, not a pipe, so these tests make a real one (a FIFO
 * opened at both ends, as pipe(2) would give).
 */
const MAX_BYTES = 32 * 1024 * 1024;
const ENV = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_HOOK_TIMEOUT: '20' };

/** Ref update lines, each different, n of them. */
function refLines(n: number): string {
  return Array.from({ length: n }, (_, i) => `${'0'.repeat(40)} ${i.toString(16).padStart(40, 'a')} refs/heads/branch-${i}\n`).join('');
}

interface Fed {
  readonly code: number | null;
  readonly stderr: string;
  /** From the start to the hook's end. */
  readonly ms: number;
}

interface PipeWriter {
  write(text: string): Promise<void>;
  end(text?: string): Promise<void>;
}

/** Runs the hook with a real pipe as its standard input, which `feed` writes and closes. */
async function runFed(api: FakeApi, secretFile: string, feed: (stdin: PipeWriter) => Promise<void>, env: Record<string, string> = {}): Promise<Fed> {
  return withTempDir(async (dir) => {
    const fifo = path.join(dir, 'stdin');
    assert.is(spawnSync('mkfifo', [fifo]).status, 0, 'mkfifo');
    // Reader first, without blocking; then the writer, which then opens at once.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    const [command, args] = geoHookCommand();
    const child = spawn(command, [...args, 'post-receive'], {
      env: cleanEnv({ ...ENV, GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: secretFile, ...env }),
      stdio: [reader, 'ignore', 'pipe'],
    });
    const started = Date.now();
    closeSync(reader);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let ms = 0;
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => {
        ms = Date.now() - started;
        resolve(code);
      }),
    );
    // The pool's write blocks while the pipe is full, until the hook reads; EPIPE once the hook has gone.
    const writeAll = (text: string) => new Promise<void>((resolve) => writeFd(writer, text, () => resolve()));
    let closed = false;
    const end = async (text = '') => {
      if (text) await writeAll(text);
      if (!closed) await new Promise<void>((resolve) => close(writer, () => resolve()));
      closed = true;
    };
    try {
      await feed({ write: writeAll, end });
    } finally {
      await end();
    }
    const code = await exited;
    clearTimeout(killer);
    return { code, stderr, ms };
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function withApi(run: (api: FakeApi, secretFile: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const api = await startFakeApi((_, response) => json(response, 200, EMPTY_REPLY));
    try {
      await run(api, await writeSecret(dir));
    } finally {
      await api.close();
    }
  });
}

const sentChanges = (api: FakeApi) => api.seen.map((request) => (JSON.parse(request.body) as { changes: string }).changes);

test('written and closed before the hook reads, as git does: every line sent, in order', async () => {
  await withApi(async (api, secretFile) => {
    const lines = refLines(3);
    const result = await runFed(api, secretFile, (stdin) => stdin.end(lines));
    assert.equal([result.code, result.stderr, sentChanges(api)], [0, '', [lines]]);
  });
});

test('more than a pipe holds (10,000 lines, 1 MiB): what was there, then the rest, in order', async () => {
  await withApi(async (api, secretFile) => {
    const lines = refLines(10_000);
    const result = await runFed(api, secretFile, (stdin) => stdin.end(lines));
    assert.equal([result.code, result.stderr], [0, '']);
    assert.ok(sentChanges(api)[0] === lines, 'the changes sent are the lines written, whole and in order');
  });
});

test('arriving late and in pieces, the writer open a while: all of it, in order', async () => {
  await withApi(async (api, secretFile) => {
    const lines = refLines(4);
    const result = await runFed(api, secretFile, async (stdin) => {
      await pause(500);
      await stdin.write(lines.slice(0, 100));
      await pause(300);
      await stdin.write(lines.slice(100));
      await pause(300);
      await stdin.end();
    });
    assert.equal([result.code, result.stderr, sentChanges(api)], [0, '', [lines]]);
  });
});

test('some at once, the rest later: both parts, in order', async () => {
  await withApi(async (api, secretFile) => {
    const lines = refLines(4);
    const result = await runFed(api, secretFile, async (stdin) => {
      await stdin.write(lines.slice(0, 150));
      await pause(1000);
      await stdin.end(lines.slice(150));
    });
    assert.equal([result.code, result.stderr, sentChanges(api)], [0, '', [lines]]);
  });
});

test('more than 32 MiB, at once or after a pause: one line, exit 2, nothing sent', async () => {
  await withApi(async (api, secretFile) => {
    const tooMuch = 'x'.repeat(MAX_BYTES + 1);
    for (const lateBy of [0, 500]) {
      const result = await runFed(api, secretFile, async (stdin) => {
        await pause(lateBy);
        await stdin.end(tooMuch);
      });
      assert.equal([result.code, result.stderr], [2, `geo-hook: standard input is larger than ${MAX_BYTES} bytes\n`], `late by ${lateBy} ms`);
    }
    assert.is(api.seen.length, 0);
  });
});

test('a pipe whose writer never closes it: the hook gives up at its deadline, one line', async () => {
  await withApi(async (api, secretFile) => {
    const result = await runFed(
      api,
      secretFile,
      async (stdin) => {
        await stdin.write(refLines(1));
        await pause(6000);
      },
      { GEO_HOOK_TIMEOUT: '1' },
    );
    assert.equal([result.code, result.stderr], [2, 'geo-hook: timed out reading the ref updates on standard input\n']);
    assert.ok(result.ms < 5000, `${result.ms} ms`);
    assert.is(api.seen.length, 0);
  });
});

test("a socket as standard input (what node's child_process gives a child): read whole", async () => {
  await withApi(async (api, secretFile) => {
    const lines = refLines(3);
    const [command, args] = geoHookCommand();
    const child = spawn(command, [...args, 'post-receive'], {
      env: cleanEnv({ ...ENV, GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: secretFile }),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdin.end(lines);
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal([code, stderr, sentChanges(api)], [0, '', [lines]]);
  });
});

test('a regular file as standard input (a hook run by hand with < file): read whole', async () => {
  await withApi(async (api, secretFile) => {
    await withTempDir(async (dir) => {
      const lines = refLines(2);
      const file = path.join(dir, 'updates');
      await writeFile(file, lines);
      const [command, args] = geoHookCommand();
      const quoted = [command, ...args, 'post-receive'].map((word) => `'${word}'`).join(' ');
      const child = spawn('sh', ['-c', `exec ${quoted} < '${file}'`], {
        env: cleanEnv({ ...ENV, GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: secretFile }),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal([code, stderr, sentChanges(api)], [0, '', [lines]]);
    });
  });
});

test.run();
