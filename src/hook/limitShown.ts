/**
 * What one hook run shows the pusher is bounded (contract section 5): a
 * reply of thousands of empty alerts must not pour megabytes onto a
 * terminal. Past the bound the rest is left out, cut after the last whole
 * line that fits (or, for one endless line, at a character boundary), and
 * one line says how much was not shown.
 */
export const SHOWN_BYTES_LIMIT = 65_536;

export function limitShown(text: string, limit = SHOWN_BYTES_LIMIT): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= limit) return text;
  let cut = bytes.lastIndexOf(0x0a, limit - 1) + 1;
  if (cut === 0) {
    // No line break within the bound: back up to the first byte of a UTF-8 character.
    cut = limit;
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  }
  const shown = bytes.subarray(0, cut).toString();
  return `${shown}${shown.endsWith('\n') ? '' : '\n'}(${bytes.length - cut} more bytes of messages not shown)\n`;
}
