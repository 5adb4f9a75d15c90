import { MODE_TITLES } from './labModes.js';
import type { Lab } from './startLab.js';

/** What `geo-hook lab` prints: where to push, as whom, and how to stop. No passwords. */
export function describeLab(lab: Lab): string {
  const lines = [`geo-hook lab: mode ${lab.mode} (${MODE_TITLES[lab.mode]})`, `  folder:        ${lab.dir}`, `  internal API:  ${lab.apiUrl}`, ''];
  for (const recipe of lab.fixture.repositories) {
    lines.push(`${recipe.path} (${recipe.glRepository}):`);
    lines.push(`  primary                          ${lab.pushUrl(recipe.path)}`);
    for (const node of lab.site.nodes.values()) {
      if (node.primary) continue;
      lines.push(`  ${`${node.name} (node ${node.id}, lag ${node.lagSeconds} s)`.padEnd(32)} ${lab.pushUrl(recipe.path, node.id)}`);
    }
    lines.push('');
  }
  const accounts = lab.fixture.accounts.map((account) => `${account.username} (${account.glId})`).join(', ');
  lines.push(`Push as ${accounts}; passwords are in the lab file (fixtures/lab.json).`);
  lines.push(`Hook runs are logged to ${lab.hookLogFile}. Ctrl-C stops the lab.`, '');
  return lines.join('\n');
}
