import { MODE_TITLES } from './labModes.js';
import type { Lab } from './startLab.js';

/** What `geo-hook lab` prints: where to push, as whom, and how to stop. No passwords. */
export function describeLab(lab: Lab): string {
  const lines = [`geo-hook lab: mode ${lab.mode} (${MODE_TITLES[lab.mode]})`, `  folder:        ${lab.dir}`, `  internal API:  ${lab.apiUrl}`, ''];
  for (const recipe of lab.fixture.repositories) {
    lines.push(`${recipe.path} (${recipe.glRepository}):`);
    lines.push(`  ${'primary'.padEnd(38)} ${lab.pushUrl(recipe.path)}`);
    for (const node of lab.site.nodes.values()) {
      if (node.primary) continue;
      const replica = lab.replicas.get(node.id);
      const lag = replica ? 'measured lag' : `lag ${node.lagSeconds} s`;
      lines.push(`  ${`${node.name} (node ${node.id}, ${lag})`.padEnd(38)} ${lab.pushUrl(recipe.path, node.id)}`);
      if (replica) lines.push(`  ${'  clone from its replica'.padEnd(38)} ${replica.cloneUrl(recipe.path)}`);
    }
    lines.push('');
  }
  const accounts = lab.fixture.accounts.map((account) => `${account.username} (${account.glId})`).join(', ');
  lines.push(`Push as ${accounts}; passwords are in the lab file (fixtures/lab.json).`);
  if (lab.replicas.size > 0) lines.push(`Each secondary runs geo-hook replicate into its replicas; how far each got: geo-hook status --api-url ${lab.apiUrl} --secret-file ${lab.secretFile}`);
  lines.push(`Hook runs are logged to ${lab.hookLogFile}. Ctrl-C stops the lab.`, '');
  return lines.join('\n');
}
