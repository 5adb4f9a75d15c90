import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { copyGeoHook, withTempDir } from '../helpers/geoHook.js';
import { suiteNeeding } from '../helpers/tools.js';
import { DEPLOY, fillTemplate } from '../helpers/webServer.js';

/** The shipped service units, filled in with the built executable, checked by systemd itself. */
const test = suiteNeeding('deploy/systemd/: the serve and replicate units', { tools: ['systemd-analyze'], onlyInPass: 'executable' });

const UNITS: Array<[string, Record<string, string>]> = [
  ['geo-hook-serve', { USER: 'nobody', CONFIG: '/etc/geo-hook/serve.json' }],
  ['geo-hook-replicate', { USER: 'nobody', CONFIG: '/etc/geo-hook/replicate.json', REPLICAS: '/srv/geo-hook/replicas' }],
];

for (const [name, values] of UNITS) test(`${name}: systemd-analyze verify accepts the unit filled in with the executable`, async () => {
  await withTempDir(async (dir) => {
    const [executable] = await copyGeoHook(dir);
    const unit = path.join(dir, `${name}.service`);
    const text = await fillTemplate(path.join(DEPLOY, `systemd/${name}.service`), { EXECUTABLE: executable, ...values });
    await writeFile(unit, text);
    const verified = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', SYSTEMD_LOG_LEVEL: 'warning' } });
    // Only lines about this unit count: verify also reads the machine's own units.
    const ours = `${verified.stdout}${verified.stderr}`.split('\n').filter((line) => line.includes(name));
    assert.equal(ours, [], ours.join('\n'));
    assert.is(verified.status, 0, verified.stderr);
    assert.match(text, /^NoNewPrivileges=yes$/m);
    assert.match(text, /^ProtectSystem=strict$/m);
    assert.match(text, /^Restart=on-failure$/m);
    assert.not.match(text, /^MemoryDenyWriteExecute=/m);
    if (name === 'geo-hook-replicate') {
      assert.match(text, /^ReadWritePaths=\/srv\/geo-hook\/replicas$/m, 'the replicas, and nothing else, written');
      assert.match(text, /^RestartPreventExitStatus=2$/m, 'a configuration that cannot work is not started again and again');
    }
  });
});

test.run();
