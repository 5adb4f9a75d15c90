/**
 * Fills a shipped file's @NAME@ placeholders, in its comments too, so that
 * a written file holds none: any left is an error naming its lines, never a
 * half-filled file. A placeholder given as null is an optional directive
 * left out: the lines that use it are dropped (in a comment it reads "none").
 */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string | null>>, what: string): string {
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const comment = line.trimStart().startsWith('#');
    const names = [...line.matchAll(/@([A-Z_]+)@/g)].map(([, name]) => name!);
    if (!comment && names.some((name) => values[name] === null)) continue;
    lines.push(line.replace(/@([A-Z_]+)@/g, (whole, name: string) => (values[name] === null ? 'none' : (values[name] ?? whole))));
  }
  const left = lines.filter((line) => /@[A-Z_]+@/.test(line));
  if (left.length > 0) throw new Error(`${what}: placeholders left unfilled: ${left.map((line) => line.trim()).join(' | ')}`);
  return lines.join('\n');
}
