import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { suiteNeeding } from '../helpers/tools.js';
import { DEPLOY, type Nginx, PRIMARY_ADDRESS, SECONDARY_ADDRESSES, fillTemplate, startNginx, writeReplicasBackend } from '../helpers/webServer.js';

/**
 * The shipped secondary file forwards pushes to the primary under the
 * prefix. A client's path is decoded by nginx; put back into the request
 * line raw, %0d%0a would be a CRLF on the wire. Here a raw listener stands
 * where the primary is and records every byte nginx sends it.
 */
const test = suiteNeeding<{ dir: string; primary: RawListener; secondary: Nginx }>('the secondary nginx file cannot be talked into splitting requests', {
  tools: ['nginx'],
  onlyInPass: 'executable',
});

interface RawListener {
  readonly port: number;
  /** Everything received since the last take, on every connection. */
  take(): string;
  close(): Promise<void>;
}

/** Answers each request head it sees with an empty 200, and keeps all the bytes. */
async function startRawListener(): Promise<RawListener> {
  let received = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let pending = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      received += chunk;
      pending += chunk;
      while (pending.includes('\r\n\r\n')) {
        pending = pending.slice(pending.indexOf('\r\n\r\n') + 4);
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, PRIMARY_ADDRESS, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    take: () => {
      const all = received;
      received = '';
      return all;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One request as a client writes it (the path exactly as given, as curl --path-as-is does); the status line back. */
function rawRequest(address: string, port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, address);
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer.split('\r\n')[0]!);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer.split('\r\n')[0] ?? '');
    });
    socket.write(head);
  });
}

test.before(async (context) => {
  context.dir = await mkdtemp(path.join(tmpdir(), 'geo-hook-splitting-'));
  context.primary = await startRawListener();
  const address = SECONDARY_ADDRESSES[2]!;
  context.secondary = await startNginx(context.dir, 'secondary', address, async (port) =>
    fillTemplate(path.join(DEPLOY, 'nginx/geo-hook-secondary.conf'), {
      LISTEN: `${address}:${port}`,
      NODE_ID: '2',
      PRIMARY_ADDRESS: `${PRIMARY_ADDRESS}:${context.primary.port}`,
      SOURCE_ADDRESS: address,
      // No fcgiwrap behind it: a fetch is answered by the secondary itself (502), never passed on.
      REPLICAS_BACKEND: await writeReplicasBackend(path.join(context.dir, 'conf'), path.join(context.dir, 'no-fcgiwrap.socket'), path.join(context.dir, 'replicas')),
    }),
  );
});

test.after(async (context) => {
  await context.secondary?.stop();
  await context.primary?.close();
  if (context.dir) await rm(context.dir, { recursive: true, force: true });
});

const REQUEST_LINE = /^[A-Z]+ \S+ HTTP\/1\.[01]$/;

const ATTACKS: ReadonlyArray<[string, string]> = [
  ['POST', '/a%0d%0aX-Geo-Node-Id:%203%0d%0aFoo:%20b.git/git-receive-pack'],
  ['GET', '/a%0d%0aX-Injected:%20yes%0d%0aFoo:%20b.git/info/refs?service=git-receive-pack'],
  ['GET', '/a%0d%0aX-Injected:%20yes%0d%0aFoo:%20b.git/info/refs?service=git-upload-pack'],
  // A whole second request inside the path.
  ['POST', '/a%20HTTP/1.1%0d%0aHost:%20p%0d%0aContent-Length:%200%0d%0a%0d%0aPOST%20/-/push_from_secondary/3/x.git/git-receive-pack%20HTTP/1.1%0d%0aX-Injected:%20yes%0d%0aFoo:%20b.git/git-receive-pack'],
  // A lone LF or CR, which some parsers take as a line end too.
  ['POST', '/a%0aX-Injected:%20yes%0aFoo:%20b.git/git-receive-pack'],
  ['POST', '/a%0dX-Injected:%20yes%0dFoo:%20b.git/git-receive-pack'],
  // Everything else passes as the client wrote it.
  ['GET', '/a%0d%0aX-Injected:%20yes%0d%0aFoo:%20b.git/objects/info/packs'],
];

test('a CR or LF in the path never reaches the primary raw: no injected header line, one request line per request', async ({ primary, secondary }) => {
  for (const [method, target] of ATTACKS) {
    primary.take();
    const status = await rawRequest(secondary.address, secondary.port, `${method} ${target} HTTP/1.1\r\nHost: secondary\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    // nginx answers (from the listener, or itself: a 400 is as good), and the primary got what it sent.
    assert.match(status, /^HTTP\/1\.1 \d{3} /, target);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const wire = primary.take();
    const lines = wire.split(/\r\n|\r|\n/);
    assert.equal(lines.filter((line) => /^(?:X-Injected|X-Geo-Node-Id|Foo)\s*:/i.test(line)), [], `${target}\n${wire}`);
    assert.ok(lines.filter((line) => REQUEST_LINE.test(line)).length <= 1, `${target}\n${wire}`);
    // The text may stand in the (escaped) path; never as a request of its own.
    assert.not.match(wire, /(?:^|[\r\n])[A-Z]+ \/-\/push_from_secondary\/3/, target);
  }
});

test('an ordinary push path still arrives under the prefix, and its advertisement too', async ({ primary, secondary }) => {
  primary.take();
  assert.match(await rawRequest(secondary.address, secondary.port, 'POST /group/project.git/git-receive-pack HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.match(primary.take(), /^POST \/-\/push_from_secondary\/2\/group\/project\.git\/git-receive-pack HTTP\/1\.1\r\n/);
  assert.match(await rawRequest(secondary.address, secondary.port, 'GET /group/my%20project.git/info/refs?service=git-receive-pack HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.match(primary.take(), /^GET \/-\/push_from_secondary\/2\/group\/my%20project\.git\/info\/refs\?service=git-receive-pack HTTP\/1\.1\r\n/);
});

test("a fetch's advertisement and a fetch are the secondary's own (its replicas): nothing reaches the primary", async ({ primary, secondary }) => {
  primary.take();
  for (const request of ['GET /group/project.git/info/refs?service=git-upload-pack', 'POST /group/project.git/git-upload-pack', 'GET /group/project.git/HEAD', 'GET /.removed/x/group/project.git/info/refs?service=git-upload-pack']) {
    assert.match(await rawRequest(secondary.address, secondary.port, `${request} HTTP/1.1\r\nHost: s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 (?:502|404|403) /, request);
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.is(primary.take(), '');
});

test.run();
