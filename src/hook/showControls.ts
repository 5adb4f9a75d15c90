/**
 * Makes text safe for the pusher's terminal: every byte that could drive it
 * (C0 controls but newline and tab, DEL, C1 controls) is shown in caret form
 * instead, as git itself plans to for sideband output. ESC becomes `^[`, CR
 * `^M`, DEL `^?`; a C1 control is shown as `cat -v` does, `M-^[` for U+009B.
 * Text without such bytes comes back unchanged.
 */
const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function showControls(text: string): string {
  return text.replace(TERMINAL_CONTROL, caret);
}

function caret(char: string): string {
  const code = char.charCodeAt(0);
  if (code === 0x7f) return '^?';
  if (code >= 0x80) return `M-^${String.fromCharCode(code - 0x40)}`;
  return `^${String.fromCharCode(code + 0x40)}`;
}
