import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiError } from '../../src/errors.js';
import { parseResponse } from '../../src/hook/parseResponse.js';

const json = 'application/json';
const ok = (body: unknown, status = 200) => ({ status, contentType: json, body: JSON.stringify(body) });

function fails(answer: { status: number; contentType: string | undefined; body: string }, pattern: RegExp, code?: string) {
  try {
    parseResponse(answer);
  } catch (error) {
    assert.instance(error, ApiError);
    assert.match((error as Error).message, pattern);
    if (code) assert.is((error as ApiError).code, code);
    return;
  }
  assert.unreachable('accepted');
}

test('a reply with messages', () => {
  const reply = parseResponse(ok({ reference_counter_decreased: true, messages: [{ type: 'basic', message: 'hi' }, { type: 'alert', message: 'x' }] }));
  assert.equal(reply, { referenceCounterDecreased: true, messages: [{ type: 'basic', message: 'hi' }, { type: 'alert', message: 'x' }] });
});

test('any 2xx is success', () => {
  assert.ok(parseResponse(ok({ reference_counter_decreased: false, messages: [] }, 201)));
});

test('statuses become one line each', () => {
  fails(ok({ message: '401 Unauthorized' }, 401), /refused our credentials \(HTTP 401 Unauthorized\): check the secret file: "401 Unauthorized"/, 'EAUTH');
  fails(ok({}, 403), /HTTP 403/, 'EAUTH');
  fails({ status: 404, contentType: 'text/html', body: '<h1>Not Found</h1>' }, /no post_receive endpoint there \(HTTP 404 Not Found\): check the API URL$/);
  fails({ status: 500, contentType: undefined, body: '' }, /the API failed \(HTTP 500 Internal Server Error\)/, 'ESERVER');
  fails({ status: 302, contentType: undefined, body: '' }, /the API answered HTTP 302/);
});

test('bodies that are not a reply', () => {
  fails({ status: 200, contentType: 'text/html; charset=utf-8', body: '<html>' }, /not JSON \(text\/html\)/, 'EBADREPLY');
  fails({ status: 200, contentType: json, body: '{"reference_counter_decreased": tru' }, /not JSON/);
  fails(ok([]), /not a JSON object/);
  fails(ok({ messages: [] }), /reference_counter_decreased/);
  fails(ok({ reference_counter_decreased: 'yes', messages: [] }), /reference_counter_decreased/);
  fails(ok({ reference_counter_decreased: true }), /"messages" is missing/);
  fails(ok({ reference_counter_decreased: true, messages: [{ type: 'basic' }] }), /messages\[0\] has no "message"/);
  fails(ok({ reference_counter_decreased: true, messages: [{ type: 'banner', message: 'x' }] }), /messages\[0\] has unknown type "banner"/);
  fails(ok({ reference_counter_decreased: true, messages: [{ message: 'x' }] }), /unknown type undefined/);
});

test.run();
