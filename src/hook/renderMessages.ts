/**
 * Renders the API's messages exactly as upstream's post-receive hook (Gitaly)
 * does, so users of the upstream system see the same bytes.
 * https://gitlab.com/gitlab-org/gitaly/-/blob/master/internal/gitaly/hook/postreceive.go
 */

export type MessageType = 'basic' | 'alert';

export interface PostReceiveMessage {
  readonly type: MessageType;
  readonly message: string;
}

/** Git's 80 columns less the `remote: ` prefix git puts before every line. */
export const TERMINAL_WIDTH = 72;
/** Alert text is filled to this width, leaving room for the centring. */
export const ALERT_TEXT_WIDTH = TERMINAL_WIDTH - 4;

// Go's unicode.IsSpace, which strings.Fields and bytes.TrimSpace use; JavaScript's
// \s differs (it has U+FEFF, lacks U+0085), and the bytes must match upstream's.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
// All of GO_SPACE is in the Basic Multilingual Plane: no need for the u flag.
const WORD_SEPARATOR = new RegExp(`[${GO_SPACE}]+`);
// Lines are built of words, each followed by one space: only the space after the last is there to trim.
const TRAILING_SPACE = new RegExp(`[${GO_SPACE}]+$`);

// Buffer.byteLength counts UTF-8 unless told otherwise.
const byteLength = (text: string) => Buffer.byteLength(text);

export function renderMessages(messages: readonly PostReceiveMessage[]): string {
  let out = '';
  for (const { type, message } of messages) {
    out += '\n';
    out += type === 'alert' ? renderAlert(message) : message;
    out += '\n\n';
  }
  return out;
}

export function renderAlert(text: string): string {
  const rule = '='.repeat(TERMINAL_WIDTH);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(WORD_SEPARATOR)) {
    if (word === '') continue;
    if (byteLength(line) + 1 + byteLength(word) > ALERT_TEXT_WIDTH) {
      lines.push(centre(line));
      line = '';
    }
    line += `${word} `;
  }
  lines.push(centre(line));
  return `${rule}\n\n${lines.join('\n')}\n\n${rule}`;
}

function centre(line: string): string {
  const trimmed = line.replace(TRAILING_SPACE, '');
  const padding = Math.max(Math.floor((TERMINAL_WIDTH - byteLength(trimmed)) / 2), 0);
  return ' '.repeat(padding) + trimmed;
}
