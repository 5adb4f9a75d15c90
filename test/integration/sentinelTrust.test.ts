import net from 'node:net';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, startServe, withTempDir, writeSecret } from '../helpers/geoHook.js';

/**
 * A sentinel is a server like any other: one that lies (or that an attacker
 * runs on the URL's host) must not steer serve to a master of its choosing,
 * nor to sentinels the URL never named. Here a fake sentinel speaks just
 * enough RESP to answer ioredis, and raw listeners stand where it points.
 */

interface Listener {
  readonly port: number;
  /** Every byte received, on every connection. */
  readonly received: () => string;
  readonly connections: () => number;
  close(): Promise<void>;
}

async function listen(answer?: (command: string[], socket: net.Socket) => void): Promise<Listener> {
  let received = '';
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      received += chunk;
      pending += chunk;
      for (;;) {
        const parsed = parseCommand(pending);
        if (parsed === undefined) break;
        pending = pending.slice(parsed.length);
        answer?.(parsed.command, socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** One RESP array of bulk strings (what a client sends), and its length; undefined until it is whole. */
function parseCommand(text: string): { command: string[]; length: number } | undefined {
  const header = /^\*(\d+)\r\n/.exec(text);
  if (!header) return undefined;
  let at = header[0].length;
  const command: string[] = [];
  for (let i = 0; i < Number(header[1]); i++) {
    const size = /^\$(\d+)\r\n/.exec(text.slice(at));
    if (!size) return undefined;
    at += size[0].length;
    if (text.length < at + Number(size[1]) + 2) return undefined;
    command.push(text.slice(at, at + Number(size[1])));
    at += Number(size[1]) + 2;
  }
  return { command, length: at };
}

const bulk = (items: string[]) => `*${items.length}\r\n${items.map((item) => `$${Buffer.byteLength(item)}\r\n${item}\r\n`).join('')}`;

/** A sentinel that names `master` for every name, and `extra` as another sentinel. */
function lyingSentinel(master: number, extra: number) {
  return (command: string[], socket: net.Socket) => {
    const [name, sub] = command.map((word) => word.toLowerCase());
    if (name === 'sentinel' && sub === 'get-master-addr-by-name') socket.write(bulk(['127.0.0.1', String(master)]));
    else if (name === 'sentinel' && sub === 'sentinels') socket.write(`*1\r\n${bulk(['name', 'liar-friend', 'ip', '127.0.0.1', 'port', String(extra), 'flags', 'sentinel'])}`);
    else socket.write('+OK\r\n');
  };
}

async function withLiar(run: (liar: Listener, master: Listener, friend: Listener, dir: string) => Promise<void>) {
  const master = await listen();
  const friend = await listen((_command, socket) => socket.write('+OK\r\n'));
  const liar = await listen(lyingSentinel(master.port, friend.port));
  try {
    await withTempDir((dir) => run(liar, master, friend, dir));
  } finally {
    await Promise.all([liar.close(), master.close(), friend.close()]);
  }
}

const PASSWORD = 'redis-pass-7f3a';
const serveOn = async (dir: string, store: string) =>
  startServe(['--secret-file', await writeSecret(dir), '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--store', store]);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("the sentinels serve asks are the URL's only: a sentinel's list of others is not taken", async () => {
  await withLiar(async (liar, _master, friend, dir) => {
    const serve = await serveOn(dir, `redis+sentinel://:${PASSWORD}@127.0.0.1:${liar.port}/geo`);
    try {
      // Long enough for ioredis to ask, be sent elsewhere, fail there and ask the sentinels again, more than once.
      await pause(4000);
      assert.ok(liar.connections() > 0, 'serve asked the sentinel of the URL');
      assert.is(friend.connections(), 0, 'serve connected to a sentinel that only the liar named');
    } finally {
      await serve.stop();
    }
  });
});

test('allowMasters: a master at any other address is never connected to (the password is not sent), and the log says why', async () => {
  await withLiar(async (liar, master, _friend, dir) => {
    const serve = await serveOn(dir, `redis+sentinel://:${PASSWORD}@127.0.0.1:${liar.port}/geo?allowMasters=127.0.0.1:1`);
    try {
      await pause(3000);
      assert.ok(liar.connections() > 0);
      assert.is(master.connections(), 0, 'serve connected to the master the sentinel named');
      assert.not.match(master.received(), new RegExp(PASSWORD));
      const refusal = await serve.logLine((record) => record.event === 'redis_error' && /not in the store URL's allowMasters/.test(String(record.error)));
      assert.ok(refusal, JSON.stringify(serve.logs()));
      assert.match(String(refusal!.error), new RegExp(`master 127\\.0\\.0\\.1:${master.port}, which is not in the store URL's allowMasters: not followed`));
      assert.not.match(JSON.stringify(serve.logs()), new RegExp(PASSWORD));
    } finally {
      await serve.stop();
    }
  });
});

test('allowMasters holding the address the sentinel names: serve connects there, as before', async () => {
  await withLiar(async (liar, master, _friend, dir) => {
    const serve = await serveOn(dir, `redis+sentinel://:${PASSWORD}@127.0.0.1:${liar.port}/geo?allowMasters=127.0.0.1:${master.port}`);
    try {
      for (let i = 0; i < 60 && master.connections() === 0; i++) await pause(50);
      assert.ok(master.connections() > 0, 'serve connected to the allowed master');
    } finally {
      await serve.stop();
    }
  });
});

test.run();
