import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FIXTURES, FORWARDED, LAG, ROOT, refLine, runGeoHook, startServe, withTempDir, writeSecret } from '../helpers/geoHook.js';

/**
 * The hook's hot path loads only what the hook needs: for an http:// API,
 * neither TLS nor HTTP/2 (got would load node:https and node:tls at import;
 * the build makes them lazy). Run on the bundle with node, which can be told
 * to report what it loaded; the executable carries the same bundle.
 */
const REPORT = `process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13))) + '\\n'));\n`;

test('a hook run against an http:// API, its files local, loads neither node:tls, node:https, node:http2 nor node:child_process', async () => {
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
      for (const unwanted of ['tls', 'https', '_tls_wrap', 'http2', 'child_process']) assert.not.ok(loaded.includes(unwanted), `${unwanted} was loaded`);
    } finally {
      await serve.stop();
    }
  });
});

test.run();
