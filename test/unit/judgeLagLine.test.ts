import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeExpected, describeSeen, lagMatches, seenLag } from '../../src/demo/judgeLagLine.js';

// What git prints from the remote, written by hand from contract sections 5 and 11.
const NOTICE = '\nThis request to a Geo secondary node will be forwarded to the\nGeo primary node:\n\n  http://primary.geo.test/group/project.git\n\n';
const withLine = (line: string) => `${NOTICE}\n${line}\n`;

test('what the pusher was told: nothing more, seconds, unknown and stale, or something else', () => {
  assert.equal(seenLag(NOTICE), { kind: 'none' });
  assert.equal(seenLag(withLine('Current replication lag: 12 seconds')), { kind: 'seconds', seconds: 12 });
  assert.equal(seenLag(withLine('Current replication lag: unknown, this secondary last reported 9 seconds ago')), { kind: 'stale', seconds: 9 });
  assert.equal(seenLag(withLine('Current replication lag: unknown, this secondary has not reported its replication status')), {
    kind: 'other',
    text: 'Current replication lag: unknown, this secondary has not reported its replication status',
  });
  assert.equal(seenLag(''), { kind: 'other', text: '' }, 'no notice: not a push through a secondary');
  assert.equal(seenLag(`${NOTICE}${NOTICE}`).kind, 'other', 'two notices: another push\'s message');
  assert.equal(seenLag(`${withLine('Current replication lag: 1 seconds')}\nCurrent replication lag: 2 seconds\n`).kind, 'other');
});

test('judged against what the replication says', () => {
  assert.ok(lagMatches({ kind: 'none' }, { kind: 'none' }));
  assert.not.ok(lagMatches({ kind: 'none' }, { kind: 'seconds', seconds: 1 }));
  assert.ok(lagMatches({ kind: 'seconds', atLeast: 2, atMost: 3 }, { kind: 'seconds', seconds: 2 }));
  assert.ok(lagMatches({ kind: 'seconds', atLeast: 2, atMost: 3 }, { kind: 'seconds', seconds: 3 }));
  assert.not.ok(lagMatches({ kind: 'seconds', atLeast: 2, atMost: 3 }, { kind: 'seconds', seconds: 4 }));
  assert.not.ok(lagMatches({ kind: 'seconds', atLeast: 2, atMost: 3 }, { kind: 'seconds', seconds: 1 }));
  assert.not.ok(lagMatches({ kind: 'seconds', atLeast: 2, atMost: 3 }, { kind: 'stale', seconds: 2 }), 'a stale report is never a number');
  assert.ok(lagMatches({ kind: 'stale', atLeast: 8 }, { kind: 'stale', seconds: 9 }));
  assert.not.ok(lagMatches({ kind: 'stale', atLeast: 8 }, { kind: 'stale', seconds: 7 }));
  assert.not.ok(lagMatches({ kind: 'stale', atLeast: 8 }, { kind: 'seconds', seconds: 9 }));
});

test('said in words for the table', () => {
  assert.is(describeExpected({ kind: 'none' }), 'no lag line (lag 0)');
  assert.is(describeExpected({ kind: 'seconds', atLeast: 2, atMost: 3 }), 'lag 2 to 3 s');
  assert.is(describeExpected({ kind: 'seconds', atLeast: 2, atMost: 2 }), 'lag 2 s');
  assert.is(describeExpected({ kind: 'stale', atLeast: 8 }), 'unknown: last report over 8 s ago');
  assert.is(describeSeen({ kind: 'stale', seconds: 9 }), 'unknown: last report 9 s ago');
  assert.is(describeSeen({ kind: 'other', text: '' }), 'nothing');
});

test.run();
