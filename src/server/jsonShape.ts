/**
 * What a body of the internal API can look like, checked on its bytes before
 * JSON.parse builds it: a post_receive body is an object of strings, numbers
 * and one array of strings (depth 2), so a deeply nested or a many-valued one
 * is an attack, and parsing it whole would cost the server gigabytes (four
 * 32 MiB bodies of "[[[[…" took 3.5 GB).
 */
export interface JsonShapeLimits {
  /** Arrays and objects inside each other, the outermost counted. */
  readonly maxDepth: number;
  /** Values in all arrays and objects together (push options, members), counted by their commas. */
  readonly maxValues: number;
}

export const API_BODY_SHAPE: JsonShapeLimits = { maxDepth: 4, maxValues: 10_000 };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/** Why the bytes are not of an API body's shape, or undefined. Not a validator: JSON.parse still judges the syntax. */
export function checkJsonShape(bytes: Uint8Array, limits: JsonShapeLimits = API_BODY_SHAPE): string | undefined {
  let depth = 0;
  let values = 0;
  let inString = false;
  // Stryker disable next-line EqualityOperator: equivalent: bytes[length] is undefined and matches no byte
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > limits.maxDepth) return `body nested deeper than ${limits.maxDepth} levels`;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) depth--;
    // Every value after the first of an array or object follows a comma.
    else if (byte === COMMA && ++values >= limits.maxValues) return `body has more than ${limits.maxValues} values`;
  }
  return undefined;
}
