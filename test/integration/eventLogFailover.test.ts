import * as assert from 'uvu/assert';
import { type ServeProcess, makeTempDir, refLine, startServe, writeSecret } from '../helpers/geoHook.js';
import { NODE_SECRETS, hookHeaders, scriptedSecondary, writeReportingSite } from '../helpers/secondary.js';
import { redisCommand } from '../helpers/redis.js';
import { type SentinelSet, startSentinelSet, untilTrue } from '../helpers/sentinel.js';
import { suiteNeeding } from '../helpers/tools.js';

/**
 * Contract section 11 across a Sentinel failover: Redis replicates
 * asynchronously, so serve follows each append with WAIT 1 (bounded). Every
 * event a replica acknowledged must be in the log the promoted replica
 * serves; what is lost otherwise is counted and printed (the README's
 * figure). The executable's pass only, as the other Sentinel suite.
 */
const SECRET = 'failover-events-secret';
const test = suiteNeeding<{ set: SentinelSet; serve: ServeProcess }>('the event log across a Sentinel failover', {
  tools: ['redis-server', 'redis-sentinel'],
  onlyInPass: 'executable',
});

test.before(async (context) => {
  const dir = await makeTempDir();
  context.set = await startSentinelSet(dir);
  const secretFile = await writeSecret(dir, SECRET);
  context.serve = await startServe(['--secret-file', secretFile, '--nodes-file', await writeReportingSite(dir), '--store', context.set.url]);
});
test.after(async ({ serve, set }) => {
  await serve?.stop();
  await set?.stop();
});

async function postReceive(url: string): Promise<number> {
  try {
    const response = await fetch(`${url}/api/v4/internal/post_receive`, {
      method: 'POST',
      headers: { ...hookHeaders(SECRET), 'content-type': 'application/json' },
      body: JSON.stringify({ gl_repository: 'project-7', identifier: 'key-42', changes: refLine(), push_options: [] }),
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

test('the master killed while pushes append: no acknowledged event is lost', async ({ set, serve }) => {
  let stop = false;
  let killedAt = 0;
  const worker = async () => {
    while (!stop) {
      if ((await postReceive(serve.url)) !== 200) await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const load = Promise.all([0, 1, 2, 3].map(worker));
  const appended = () => serve.logs().filter((record) => typeof record.event_id === 'string');
  // Enough events a replica acknowledged before anything breaks: those are the ones that must survive.
  await untilTrue(200, async () => appended().filter((record) => record.event_unacknowledged !== true).length >= 200);
  // The replica's link breaks (the replica stopped, its connection closed by the master) and the master dies
  // meanwhile: what it appended since never reached the replica. Without WAIT those pushes would look safe; with it,
  // each says it was not acknowledged.
  set.replica.signal('SIGSTOP');
  const cutAt = Date.now();
  assert.is(await redisCommand(set.master.port, 'CLIENT KILL TYPE replica'), ':1', "the replica's link was closed");
  // Long enough for a few rounds of WAIT that time out (250 ms each), short of the sentinels' 1 s down-after for the replica.
  await new Promise((resolve) => setTimeout(resolve, 900));
  killedAt = Date.now();
  await set.master.stop();
  set.replica.signal('SIGCONT');
  // Until events are appended on the promoted replica, then a little more.
  await untilTrue(600, async () => serve.logs().some((record) => typeof record.event_id === 'string' && Date.parse(String(record.time)) > killedAt + 500));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  stop = true;
  await load;

  const secondary = scriptedSecondary(serve.url, 2, NODE_SECRETS[2]!);
  const kept = new Set<string>();
  let after = '0';
  for (;;) {
    const { status, body } = await secondary.get(`events?after=${after}&limit=1000`);
    assert.is(status, 200);
    if (body.events.length === 0) break;
    for (const event of body.events) kept.add(event.id);
    after = body.events.at(-1).id;
  }
  const records = appended();
  const acknowledged = records.filter((record) => record.event_unacknowledged !== true);
  const lostAcknowledged = acknowledged.filter((record) => !kept.has(String(record.event_id)));
  const unacknowledged = records.filter((record) => record.event_unacknowledged === true);
  const lostOther = unacknowledged.filter((record) => !kept.has(String(record.event_id)));
  const inWindow = records.filter((record) => {
    const time = Date.parse(String(record.time));
    return time > cutAt && time <= killedAt;
  });
  const lostInWindow = inWindow.filter((record) => !kept.has(String(record.event_id)));
  const failed = serve.logs().filter((record) => record.event_id === null).length;
  console.log(
    `    event log failover: ${records.length} events appended (${unacknowledged.length} not acknowledged by a replica in time), ` +
      `${failed} appends failed while there was no master; lost: ${lostAcknowledged.length} acknowledged, ${lostOther.length} unacknowledged; ` +
      `cut off: ${inWindow.length} appended (${inWindow.filter((record) => record.event_unacknowledged === true).length} unacknowledged), ${lostInWindow.length} lost`,
  );
  assert.is(await set.masterPort(), set.replica.port, 'the replica was promoted');
  assert.ok(acknowledged.length >= 200, `${acknowledged.length} acknowledged events`);
  assert.ok(lostOther.length > 0, 'the events appended while the replica was cut off were lost, and each was said to be at risk');
  assert.is(lostAcknowledged.length, 0, `acknowledged events lost: ${lostAcknowledged.slice(0, 5).map((record) => record.event_id).join(', ')}`);
});

test.run();
