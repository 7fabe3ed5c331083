import { DomainError } from '../errors/domain-error';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * How deeply the JSON text nests arrays and objects, counted up to `limit + 1` at most: one pass
 * over the bytes, no recursion and no allocation, so it is safe to run on any body before
 * parsing it. Brackets inside strings do not count. Malformed JSON gets a number too (the parser
 * refuses it afterwards). Works on UTF-8 bytes and on strings alike: every byte it looks at is ASCII.
 */
export function jsonNestingDepth(text: Uint8Array | string, limit = Number.MAX_SAFE_INTEGER): number {
  const bytes = typeof text === 'string' ? undefined : text;
  const length = text.length;
  const at = bytes ? (i: number) => bytes[i] : (i: number) => (text as string).charCodeAt(i);
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return deepest;
}

/** JSON nested deeper than JSON_MAX_DEPTH (a body, or a multipart field holding JSON): refused before it is parsed (400). */
export class JsonTooDeepError extends DomainError {
  constructor(maxDepth: number, field?: string) {
    const what = field === undefined ? 'The JSON body' : `The JSON of field '${field}'`;
    super('bad-request', 'JSON_TOO_DEEP', `${what} nests arrays and objects more than ${maxDepth} levels deep (JSON_MAX_DEPTH).`, {
      extensions: { maxDepth, ...(field === undefined ? {} : { field }) },
    });
  }
}

/** Throws {@link JsonTooDeepError} when the text nests deeper than `maxDepth`. */
export function assertJsonDepth(text: Uint8Array | string, maxDepth: number, field?: string): void {
  // Nesting never exceeds the count of opening brackets, which a native search finds without
  // looking at every byte in JS: a predict body (thousands of numbers, three brackets) ends here.
  if (openingBrackets(text, maxDepth) <= maxDepth) return;
  if (jsonNestingDepth(text, maxDepth) > maxDepth) throw new JsonTooDeepError(maxDepth, field);
}

/** `[` and `{` in the text (inside strings too), counted up to `limit + 1` at most. */
function openingBrackets(text: Uint8Array | string, limit: number): number {
  let count = 0;
  const targets = typeof text === 'string' ? ['[', '{'] : [OPEN_ARRAY, OPEN_OBJECT];
  for (const target of targets) {
    // Buffer.indexOf and String.indexOf search natively; a plain Uint8Array's indexOf compares elements.
    const find = (from: number) => (typeof text === 'string' ? text.indexOf(target as string, from) : text.indexOf(target as number, from));
    for (let at = find(0); at !== -1; at = find(at + 1)) if (++count > limit) return count;
  }
  return count;
}
