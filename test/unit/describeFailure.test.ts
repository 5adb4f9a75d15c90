import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiRequest } from '../../src/hook/buildRequest.js';
import { describeFailure } from '../../src/hook/sendRequest.js';
import { fileProblem } from '../../src/shared/fileProblem.js';

const request: ApiRequest = { method: 'POST', url: 'http://api.test/x', displayUrl: 'http://api.test/api/v4/internal/post_receive', headers: {} };
const said = (code: string) => {
  const error = describeFailure(Object.assign(new Error(`raw ${code}`), { code }), request, 10);
  return [error.message, error.code];
};
const AT = 'the API at http://api.test/api/v4/internal/post_receive';

test('a failure to reach the API is said in words, never as a bare system code', () => {
  assert.equal(said('ECONNREFUSED'), [`cannot reach ${AT}: connection refused (is it running?)`, 'ECONNREFUSED']);
  assert.equal(said('EPROTO'), [`cannot reach ${AT}: the TLS handshake failed: is it https:// on that port, or plain http://?`, 'EPROTO']);
  assert.equal(said('EPIPE'), [`${AT} broke off the connection`, 'EPIPE']);
  assert.equal(said('EISDIR'), [`cannot reach ${AT}: the socket path is a folder`, 'EISDIR']);
  assert.equal(said('ENOTSOCK'), [`cannot reach ${AT}: the path is not a socket`, 'ENOTSOCK']);
  assert.equal(said('EMFILE'), [`cannot reach ${AT}: too many files are open on this machine`, 'EMFILE']);
  assert.equal(said('EADDRNOTAVAIL'), [`cannot reach ${AT}: the address is not one this machine can connect from or to`, 'EADDRNOTAVAIL']);
  assert.equal(said('EWHATEVER'), [`cannot reach ${AT}: system error EWHATEVER, which geo-hook has no words for (--verbose shows more)`, 'EWHATEVER']);
  assert.equal(said('ETIMEDOUT'), [`${AT} did not answer within 10 s`, 'ETIMEDOUT']);
});

test('a file that cannot be read is said in words', () => {
  const expected: Array<[string | undefined, string]> = [
    ['ENOENT', 'does not exist'],
    ['EACCES', 'cannot be read by this user (permission denied)'],
    ['EPERM', 'cannot be read by this user (permission denied)'],
    ['EISDIR', 'is a folder, not a file'],
    ['ENOTDIR', 'cannot be reached: a part of its path is a file, not a folder'],
    ['ELOOP', 'cannot be reached: its symbolic links go round in a loop'],
    ['ENAMETOOLONG', 'cannot be reached: its name is too long'],
    ['EMFILE', 'cannot be opened now: too many files are open'],
    ['ENFILE', 'cannot be opened now: too many files are open'],
    ['EIO', 'cannot be read: input/output error (a failing disk or network file system)'],
    ['ENXIO', 'cannot be read without waiting (a FIFO or a device, not a file)'],
    ['EAGAIN', 'cannot be read without waiting (a FIFO or a device, not a file)'],
    ['EXDEV', 'cannot be read (system error EXDEV)'],
    [undefined, 'cannot be read (system error without a code)'],
  ];
  for (const [code, words] of expected) assert.is(fileProblem(code), words, String(code));
});

test.run();
