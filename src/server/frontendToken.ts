/** A front-end token shorter than this is guessable. */
export const MIN_FRONTEND_TOKEN_LENGTH = 16;

/**
 * What is wrong with a front-end token (already trimmed, as the file is
 * read), or undefined. Refused at start, because each of these would fail
 * in silence later: a token with inner white space can never match the
 * header nginx sends (every registration a 401, turned into a 204); one
 * equal to the hook's secret would let whoever holds it sign hook tokens;
 * a short one can be guessed.
 */
export function frontendTokenProblem(token: string, hookSecret: string): string | undefined {
  if (token === '') return 'is empty';
  if (/\s/.test(token)) return 'holds white space inside the token: nginx sends it as one word, so it could never match';
  if (token === hookSecret) return "holds the hook's secret: give the web server a token of its own (openssl rand -hex 32)";
  if ([...token].length < MIN_FRONTEND_TOKEN_LENGTH) return `holds a token of under ${MIN_FRONTEND_TOKEN_LENGTH} characters: make a longer one (openssl rand -hex 32)`;
  return undefined;
}
