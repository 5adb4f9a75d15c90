/**
 * Makes text safe for the pusher's terminal: every byte that could drive it
 * (C0 controls but newline and tab, DEL, C1 controls) is shown in caret form
 * instead, as git itself plans to for sideband output. ESC becomes `^[`, CR
 * `^M`, DEL `^?`; a C1 control is shown as `cat -v` does, `M-^[` for U+009B.
 * Invisible and direction-changing code points are shown as `<U+XXXX>`.
 * Text without such bytes comes back unchanged.
 */
const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/**
 * Code points that make a terminal show other text than it holds: zero-width
 * characters, line and paragraph separators, bidirectional embeddings,
 * overrides and isolates (the "Trojan Source" trick), the byte-order mark.
 * Shown as `<U+202E>` (contract section 5).
 */
const INVISIBLE = /[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function showControls(text: string): string {
  return text.replace(TERMINAL_CONTROL, caret).replace(INVISIBLE, codePoint);
}

function codePoint(char: string): string {
  return `<U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`;
}

function caret(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x7f) return '^?';
  if (code >= 0x80) return `M-^${String.fromCharCode(code - 0x40)}`;
  return `^${String.fromCharCode(code + 0x40)}`;
}

/** What JSON.stringify leaves raw that a terminal would act on (DEL, C1 controls, the code points above). */
const RAW_IN_JSON = /[\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** JSON for a terminal: the same value, with every such character written as a \\u escape. */
export function jsonForTerminal(value: unknown): string {
  return JSON.stringify(value).replace(RAW_IN_JSON, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
