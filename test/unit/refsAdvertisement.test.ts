import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRefsAdvertisement, sameRefs } from '../../src/replicator/refsAdvertisement.js';

// pkt-lines written by hand from Git's protocol documentation (gitprotocol-http, gitprotocol-pack).
const pkt = (text: string) => `${(Buffer.byteLength(text) + 4).toString(16).padStart(4, '0')}${text}`;
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const advertisement = (...lines: string[]) => Buffer.from(`${pkt('# service=git-upload-pack\n')}0000${lines.map(pkt).join('')}0000`);

test('refs and the HEAD symref of an advertisement; HEAD and peeled tags left out', () => {
  const parsed = parseRefsAdvertisement(
    advertisement(`${A} HEAD\0multi_ack thin-pack symref=HEAD:refs/heads/main agent=git/2.39.5\n`, `${A} refs/heads/main\n`, `${B} refs/tags/v1\n`, `${C} refs/tags/v1^{}\n`),
  );
  assert.equal(parsed, { refs: new Map([['refs/heads/main', A], ['refs/tags/v1', B]]), head: 'refs/heads/main' });
});

test('an empty repository: no refs, no HEAD, with or without the capabilities line', () => {
  assert.equal(parseRefsAdvertisement(Buffer.from(`${pkt('# service=git-upload-pack\n')}00000000`)), { refs: new Map(), head: undefined });
  assert.equal(parseRefsAdvertisement(advertisement(`${'0'.repeat(40)} capabilities^{}\0multi_ack\n`)), { refs: new Map(), head: undefined });
});

test('anything else is no advertisement: the caller fetches', () => {
  for (const body of [
    '',
    'Not Found\n',
    `${pkt('# service=git-receive-pack\n')}0000`,
    `${pkt('# service=git-upload-pack\n')}${pkt(`${A} refs/heads/main\n`)}0000`,
    `${pkt('# service=git-upload-pack\n')}0000${pkt('xyz refs/heads/main\n')}0000`,
    `${pkt('# service=git-upload-pack\n')}0000ffff${A}`,
    `${pkt('# service=git-upload-pack\n')}00000003`,
  ]) {
    assert.is(parseRefsAdvertisement(Buffer.from(body)), undefined, JSON.stringify(body));
  }
});

test('a ref name that is not ASCII counts by bytes, as pkt-lines do', () => {
  const parsed = parseRefsAdvertisement(advertisement(`${A} refs/heads/é-branch\0symref=HEAD:refs/heads/é-branch\n`));
  assert.equal(parsed?.refs, new Map([['refs/heads/é-branch', A]]));
});

test('the same refs and HEAD, or not', () => {
  const primary = { refs: new Map([['refs/heads/main', A], ['refs/tags/v1', B]]), head: 'refs/heads/main' };
  assert.ok(sameRefs(primary, { refs: new Map([['refs/tags/v1', B], ['refs/heads/main', A]]), head: 'refs/heads/main' }));
  assert.not.ok(sameRefs(primary, { refs: new Map([['refs/heads/main', A]]), head: 'refs/heads/main' }), 'a ref missing');
  assert.not.ok(sameRefs(primary, { refs: new Map([['refs/heads/main', A], ['refs/tags/v1', B], ['refs/heads/old', C]]), head: 'refs/heads/main' }), 'a ref to prune');
  assert.not.ok(sameRefs(primary, { refs: new Map([['refs/heads/main', C], ['refs/tags/v1', B]]), head: 'refs/heads/main' }), 'a ref moved');
  assert.not.ok(sameRefs(primary, { refs: primary.refs, head: 'refs/heads/other' }), 'HEAD elsewhere');
  assert.ok(sameRefs({ refs: new Map(), head: undefined }, { refs: new Map(), head: 'refs/heads/main' }), 'the primary says nothing of HEAD: refs decide');
});

test.run();
