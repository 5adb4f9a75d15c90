import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startFakeApi } from '../helpers/fakeApi.js';
import { FIXTURES, FORWARDED, LAG, ROOT, refLine, runGeoHook, startServe, withTempDir, writeSecret } from '../helpers/geoHook.js';

/**
 * The hook's hot path loads only what the hook needs: for an http:// API,
 * neither TLS, HTTP/2, zlib nor crypto (got would load node:https, node:tls,
 * node:zlib and node:crypto at import; the build makes them lazy or
 * unneeded, and the token is signed in JavaScript). Run on the bundle with node, which can be told
 * to report what it loaded; the executable carries the same bundle.
 */
const REPORT = `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13))) + '\\n'));\n`;

test('a hook run against an http:// API, its files local, loads neither node:tls, node:https, node:http2, node:zlib, node:crypto nor node:child_process', async () => {
  await withTempDir(async (dir) => {
    const secretFile = await writeSecret(dir, 'modules-secret');
    const serve = await startServe(['--secret-file', secretFile, '--nodes-file', path.join(FIXTURES, 'geo-site.json'), '--quiet']);
    try {
      const report = path.join(dir, 'report.cjs');
      await writeFile(report, REPORT);
      const env = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', GEO_HOOK_API_URL: serve.url, GEO_HOOK_SECRET_FILE: secretFile };
      const result = await runGeoHook(['post-receive'], { env, stdin: refLine(), command: [process.execPath, ['-r', report, path.join(ROOT, 'dist/geo-hook.cjs')]] });
      const [shown, loadedLine] = result.stderr.split(/(?=LOADED )/);
      assert.equal([result.code, result.stdout, shown], [0, '', FORWARDED('http://primary.geo.test/group/project.git') + LAG(42)]);
      const loaded = JSON.parse(loadedLine!.slice('LOADED '.length)) as string[];
      assert.ok(loaded.includes('http'), 'the report works: node:http is there');
      for (const unwanted of ['tls', 'https', '_tls_wrap', 'http2', 'zlib', 'crypto', 'child_process']) assert.not.ok(loaded.includes(unwanted), `${unwanted} was loaded`);
    } finally {
      await serve.stop();
    }
  });
});

// What zlib is loaded for when it is needed: a proxy in front of the internal API that compresses JSON (nginx's gzip on).
const COMPRESSORS: Record<string, (body: Buffer) => Buffer> = {
  gzip: zlib.gzipSync,
  deflate: zlib.deflateSync,
  br: zlib.brotliCompressSync,
  // Node 22.15+ (the tests run on the pinned Node 24); @types/node follows the oldest node the package supports.
  zstd: (zlib as unknown as { zstdCompressSync: (body: Buffer) => Buffer }).zstdCompressSync,
};

test('an answer the API (or a proxy before it) compressed with gzip, deflate, br or zstd is read all the same', async () => {
  const reply = Buffer.from(JSON.stringify({ reference_counter_decreased: true, messages: [{ type: 'basic', message: 'Current replication lag: 7 seconds' }] }));
  for (const [encoding, compress] of Object.entries(COMPRESSORS)) {
    const api = await startFakeApi((request, response) => {
      const offered = String(request.headers['accept-encoding'] ?? '').split(/,\s*/);
      if (!offered.includes(encoding)) {
        response.writeHead(406).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding }).end(compress(reply));
    });
    try {
      await withTempDir(async (dir) => {
        const secretFile = await writeSecret(dir, 'compressed-secret');
        const env = { GL_ID: 'key-42', GL_REPOSITORY: 'project-7', GEO_NODE_ID: '2', GEO_HOOK_API_URL: api.url, GEO_HOOK_SECRET_FILE: secretFile };
        const result = await runGeoHook(['post-receive'], { env, stdin: refLine() });
        assert.equal([result.code, result.stdout, result.stderr], [0, '', LAG(7)], encoding);
      });
    } finally {
      await api.close();
    }
  }
});

test.run();
