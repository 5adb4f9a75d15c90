import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PLAIN, renderDemoTable, renderVerdicts } from '../../src/demo/renderDemo.js';
import { parseCgiHeaders } from '../../src/lab/httpBackend.js';
import { PushBarrier } from '../../src/lab/pushBarrier.js';
import { routesFor } from '../../src/lab/raceScenarios.js';
import { asRemoteText, remoteText, summarise } from '../../src/lab/readPushOutput.js';
import { routeLabPath } from '../../src/lab/routeLabPath.js';

test('routes: plain, push_from_secondary, from_secondary', () => {
  assert.equal(routeLabPath('GET', '/group/project.git/info/refs', 'service=git-receive-pack'), {
    geoNodeId: undefined,
    repositoryPath: 'group/project',
    pathInfo: '/group/project.git/info/refs',
    service: 'receive-pack',
    isReceivePackPost: false,
  });
  const forwarded = routeLabPath('POST', '/-/push_from_secondary/2/group/sub/project.git/git-receive-pack', '');
  assert.equal([forwarded?.geoNodeId, forwarded?.repositoryPath, forwarded?.isReceivePackPost], [2, 'group/sub/project', true]);
  assert.is(routeLabPath('POST', '/-/from_secondary/3/group/project.git/git-upload-pack', '')?.geoNodeId, 3);
  assert.is(routeLabPath('POST', '/-/from_secondary/3/group/project.git/git-upload-pack', '')?.service, 'upload-pack');
});

test('routes: refused shapes', () => {
  for (const path of ['/project.git/info/refs', '/group/project/info/refs', '/group/project.git/config', '/-/push_from_secondary/0/group/project.git/info/refs', '/-/push_from_secondary/x/group/project.git/info/refs', '/group/./project.git/info/refs']) {
    assert.is(routeLabPath('GET', path, ''), undefined, path);
  }
});

test('CGI headers', () => {
  assert.equal(parseCgiHeaders('Status: 403 Forbidden\r\nContent-Type: text/plain'), { status: 403, headers: { 'Content-Type': 'text/plain' } });
  assert.equal(parseCgiHeaders('Content-Type: application/x-git-receive-pack-result\nCache-Control: no-cache'), {
    status: 200,
    headers: { 'Content-Type': 'application/x-git-receive-pack-result', 'Cache-Control': 'no-cache' },
  });
});

test('remote lines as git prints them, with and without a terminal', () => {
  const piped = 'remote: \nremote: Current replication lag: 42 seconds        \nremote: \nTo http://x\n * [new branch]\n';
  const tty = 'remote: \x1b[K\nremote: Current replication lag: 42 seconds\x1b[K\nremote: \x1b[K\n';
  assert.is(remoteText(piped), '\nCurrent replication lag: 42 seconds\n');
  assert.is(remoteText(tty), remoteText(piped));
  assert.is(asRemoteText('\nCurrent replication lag: 42 seconds\n\n'), '\nCurrent replication lag: 42 seconds\n');
});

test('summaries', () => {
  const notice = 'This request to a Geo secondary node will be forwarded to the';
  assert.is(summarise(''), 'nothing');
  assert.is(summarise(notice), 'notice only');
  assert.is(summarise(`${notice}\nCurrent replication lag: 7 seconds`), 'lag 7 s');
  assert.is(summarise(`${notice}\nCurrent replication lag: 7 seconds\n${notice}\nCurrent replication lag: 42 seconds`), 'lag 7 s + lag 42 s');
});

test('scenario routes', () => {
  assert.equal(routesFor('different-secondaries', 4, [2, 3]), [2, 3, 2, 3]);
  assert.equal(routesFor('same-secondary', 3, [2, 3]), [2, 2, 2]);
  assert.equal(routesFor('secondary-and-primary', 4, [2, 3]), [2, undefined, 2, undefined]);
});

test('the barrier holds a round until it is full, then the primary pushes first', async () => {
  const barrier = new PushBarrier();
  barrier.arm(3);
  const order: string[] = [];
  const a = barrier.join(false);
  const b = barrier.join(true);
  void a.released.then(() => order.push('secondary'));
  void b.released.then(() => order.push('primary'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(order, [], 'nobody runs before the round is full');
  const c = barrier.join(false);
  void c.released.then(() => order.push('secondary'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(order, ['primary'], 'secondaries wait for the primary push to finish');
  b.done();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(order, ['primary', 'secondary', 'secondary']);
});

test('one by one: each push runs to its end before the next', async () => {
  const barrier = new PushBarrier({ order: 'one-by-one' });
  barrier.arm(3);
  const order: string[] = [];
  const pushes = [barrier.join(false), barrier.join(true), barrier.join(false)];
  pushes.forEach((push, i) => void push.released.then(() => order.push(`push ${i}`)));
  const tick = () => new Promise((resolve) => setTimeout(resolve, 20));
  await tick();
  assert.equal(order, ['push 1'], 'the primary push first');
  pushes[1]!.done();
  await tick();
  assert.equal(order, ['push 1', 'push 0']);
  pushes[0]!.done();
  await tick();
  assert.equal(order, ['push 1', 'push 0', 'push 2']);
});

test('a round that never fills is let go after its timeout; disarmed, nobody waits', async () => {
  const barrier = new PushBarrier({ timeoutMs: 30 });
  barrier.arm(5);
  const started = Date.now();
  // The barrier's own timer does not keep a process alive; the test's does.
  const alive = setTimeout(() => {}, 1000);
  await barrier.join(false).released;
  clearTimeout(alive);
  assert.ok(Date.now() - started >= 25);
  barrier.arm(0);
  await barrier.join(false).released;
});

test('demo table and verdicts', () => {
  const outcome = (ok: boolean, saw: string) => ({ scenario: 'same-secondary' as const, round: 1, push: 1, nodeId: 2, via: 'eu', expected: 'lag 42 s', saw, ok });
  const runs = [
    { mode: 'legacy' as const, outcomes: [outcome(false, 'nothing')] },
    { mode: 'correlation' as const, outcomes: [outcome(true, 'lag 42 s')] },
  ];
  const table = renderDemoTable(runs, PLAIN);
  assert.match(table, /^scenario +mode +push +via +should see +saw +mark$/m);
  assert.match(table, /2\. through the same secondary +legacy +1\.1 +eu +lag 42 s +nothing +WRONG/);
  assert.match(table, /2\. through the same secondary +correlation +1\.1 +eu +lag 42 s +lag 42 s +ok/);
  const verdicts = renderVerdicts(runs, PLAIN);
  assert.match(verdicts, /^RACE legacy .*1 of 1 pushes/m);
  assert.match(verdicts, /^PASS correlation .*all 1 pushes/m);
});

test.run();
