import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiRequest } from '../../src/hook/buildRequest.js';
import type { HttpAnswer } from '../../src/hook/parseResponse.js';
import { type HookIo, runPostReceive } from '../../src/hook/runPostReceive.js';
import { type Random, seededRandom } from '../helpers/random.js';

// Reproducible: GEO_HOOK_FUZZ_SEED=<n> replays a run; GEO_HOOK_FUZZ_CASES sets how many.
const SEED = Number(process.env.GEO_HOOK_FUZZ_SEED ?? 20261124);
const CASES = Number(process.env.GEO_HOOK_FUZZ_CASES ?? 5000);
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const HEX = '0123456789abcdef';

function oid(random: Random): string {
  return random.pick([() => '0'.repeat(40), () => random.chars(HEX, 40), () => random.chars(HEX, 64), () => random.chars(HEX + 'XYZ', random.int(70))])();
}

/** Mostly what git writes, sometimes broken: a case that fails validation at once proves little. */
function stdinCase(random: Random): string {
  if (random.next() < 0.85) {
    const lines = Array.from({ length: 1 + random.int(4) }, () => `${'0'.repeat(40)} ${random.chars(HEX, 40)} refs/heads/${random.chars('abc/-_.', 1 + random.int(12)).replace(/^[/.]+|[/.]+$/g, '') || 'main'}`);
    return `${lines.join('\n')}\n`;
  }
  const lines = Array.from({ length: random.int(5) }, () =>
    random.pick([
      () => `${oid(random)} ${oid(random)} refs/heads/${random.chars('abc/-_.', 1 + random.int(12))}`,
      () => `${oid(random)} ${oid(random)} ${random.anyText(random.int(20))}`,
      () => random.anyText(random.int(120)),
      () => `${oid(random)}  ${oid(random)}\trefs/tags/v1`,
    ])(),
  );
  return lines.join(random.pick(['\n', '\r\n', '\n\n'])) + random.pick(['\n', '', '\r\n']);
}

function envCase(random: Random): Record<string, string> {
  const env: Record<string, string> = {};
  const maybe = (name: string, values: Array<() => string>) => {
    if (random.next() < 0.8) env[name] = random.pick(values)();
  };
  const mostly = (valid: () => string, broken: () => string) => (random.next() < 0.95 ? valid() : broken());
  env.GL_ID = mostly(() => `key-${1 + random.int(99)}`, () => random.anyText(random.int(12)));
  env.GL_REPOSITORY = mostly(() => `project-${1 + random.int(9)}`, () => random.anyText(random.int(12)));
  maybe('GEO_NODE_ID', [() => mostly(() => String(1 + random.int(5)), () => random.pick([String(-random.int(5)), '0', '9'.repeat(1 + random.int(30)), random.anyText(3), '']))]);
  maybe('CORRELATION_ID', [() => mostly(() => random.chars('0123456789ABCDEFGHJK', 26), () => random.anyText(random.int(200)))]);
  maybe('GL_USERNAME', [() => mostly(() => 'deployer', () => random.anyText(random.int(20)))]);
  if (random.next() < 0.1) env.GIT_PUSH_OPTION_COUNT = random.pick(['0', '1', '2', 'x']);
  if (random.next() < 0.2) env.GIT_PUSH_OPTION_0 = random.pick(['ci.skip', random.anyText(10)]);
  return env;
}

function answerCase(random: Random): HttpAnswer | Error {
  const message = () => ({
    type: random.pick(['basic', 'alert', 'basic', 'banner', '', 7]),
    message: random.pick([() => 'Current replication lag: 42 seconds', () => random.anyText(random.int(300)), () => 'x'.repeat(random.int(100_000)), () => 42])(),
  });
  if (random.next() < 0.5) {
    // A well-formed reply whose texts are hostile: what the terminal-safety promise is about.
    const messages = Array.from({ length: 1 + random.int(3) }, () => ({
      type: random.pick(['basic', 'alert']),
      message: random.pick([() => random.anyText(random.int(300)), () => `\x1b]0;pwned\x07\rCurrent replication lag: 0 seconds\x1b[2K`, () => 'y'.repeat(random.int(100_000))])(),
    }));
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ reference_counter_decreased: random.next() < 0.9, messages }) };
  }
  const body = random.pick([
    () => JSON.stringify({ reference_counter_decreased: random.next() < 0.8, messages: Array.from({ length: random.int(4) }, message) }),
    () => JSON.stringify({ reference_counter_decreased: true, messages: random.pick([null, 'x', {}, [null]]) }),
    () => JSON.stringify(random.pick([[], null, 42, 'ok', { messages: [] }])),
    () => random.anyText(random.int(200)),
    () => '<html><body>502 Bad Gateway</body></html>',
    () => `{"reference_counter_decreased": true, "messages": [{"type": "basic", "message": "${random.anyText(20).replace(/["\\]/g, '')}`,
  ])();
  if (random.next() < 0.05) return Object.assign(new Error('socket hang up'), { code: random.pick(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'WEIRD']) });
  return {
    status: random.pick([200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 422, 500, 502, 503, 504, 0, 999]),
    contentType: random.pick(['application/json', 'text/html', undefined, 'application/json; charset=utf-8']),
    body,
  };
}

test(`${CASES} generated pushes (seed ${SEED}): no uncaught exception, no hang, no raw control byte for the pusher`, async () => {
  const random = seededRandom(SEED);
  const statuses = new Map<number, number>();
  for (let index = 0; index < CASES; index++) {
    const env = envCase(random);
    const stdin = stdinCase(random);
    const answer = answerCase(random);
    let stderr = '';
    let stdout = '';
    let sent: ApiRequest | undefined;
    const io: HookIo = {
      env: { ...env, GEO_HOOK_SECRET_FILE: '/secret', GEO_HOOK_API_URL: 'http://api.test', GEO_HOOK_TIMEOUT: '5' },
      flags: {},
      configFile: undefined,
      stdinIsTerminal: false,
      readStdin: async () => stdin,
      readFile: async () => 'fuzz-secret',
      appendFile: async () => {},
      writeStdout: (text) => (stdout += text),
      writeStderr: (text) => (stderr += text),
      now: Date.now,
      send: async (request) => {
        sent = request;
        if (answer instanceof Error) {
          const { describeFailure } = await import('../../src/hook/sendRequest.js');
          throw describeFailure(answer, request, 5);
        }
        return { answer, attempts: 1 };
      },
      version: '0.0.0-fuzz',
      dryRun: false,
      debug: undefined,
    };
    const where = `case ${index} (seed ${SEED}): env ${JSON.stringify(env)} stdin ${JSON.stringify(stdin).slice(0, 200)}`;
    let timer: NodeJS.Timeout | undefined;
    const status = await Promise.race([
      runPostReceive(io),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hung: ${where}`)), 2000))),
    ]).catch((error: Error) => {
      throw new Error(`${error.message} at ${where}`);
    });
    clearTimeout(timer);
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    assert.ok([0, 1, 2, 3].includes(status), `status ${status} at ${where}`);
    assert.is(stdout, '', where);
    assert.not.ok(RAW_CONTROL.test(stderr), `raw control byte at ${where}: ${JSON.stringify(stderr.slice(0, 300))}`);
    if (status === 1 || status === 2) {
      assert.match(stderr, /^geo-hook: [^\n]+\n$/, where);
      if (status === 2) assert.is(sent, undefined, `bad input was sent: ${where}`);
    }
    if (sent?.body !== undefined) {
      const body = JSON.parse(sent.body) as Record<string, unknown>;
      if ('geo_node_id' in body) assert.ok(Number.isSafeInteger(body.geo_node_id) && (body.geo_node_id as number) > 0, `sent a bad geo_node_id: ${where}`);
    }
  }
  // The generator must reach every outcome, or it proves little.
  for (const status of [0, 1, 2, 3]) assert.ok((statuses.get(status) ?? 0) > 0, `no case ended with status ${status}: ${JSON.stringify([...statuses])}`);
  console.log(`  fuzz: ${CASES} cases, seed ${SEED}, exit statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
});

test.run();
