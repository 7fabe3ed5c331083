/**
 * A tfjs or backend error as a caller may read it. tfjs' own checks say useful things ("expected
 * dense_1/kernel to have shape [4,3]"), but a malformed topology surfaces as a JavaScript TypeError
 * from deep inside tfjs ("Cannot read properties of undefined (reading 'producer')"), and some
 * messages list thousands of weight names: internals are replaced by a plain sentence, and
 * everything is cut to one bounded line.
 */
const MAX_LENGTH = 300;

/** V8's own wording for a program fault (tfjs uses TypeError for its own checks too, so the class alone says nothing). */
const JS_INTERNALS =
  /Cannot (read|set) propert|is not a function|is not iterable|is not a constructor|Cannot convert|is not defined|Maximum call stack|Cannot destructure|Cannot create property/;

const OUT_OF_MEMORY =
  /Invalid (typed )?array length|Array buffer allocation failed|memory limit reached|out of memory|Cannot enlarge memory/i;

export function engineMessage(error: unknown): string {
  if (!(error instanceof Error) && !(typeof error === 'object' && error !== null && 'message' in error)) return 'unknown error.';
  const { name, message } = error as { name?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(message);
  if (OUT_OF_MEMORY.test(text)) return 'the computation needs more memory than the engine may use.';
  if (JS_INTERNALS.test(text)) {
    return 'the topology is malformed (a layer or node refers to something that does not exist or has the wrong type).';
  }
  if (name === 'RuntimeError' || /Aborted\(/.test(text)) {
    return 'the computation failed inside the inference engine (out of memory or an invalid operation).';
  }
  // tfjs appends a request to file an issue with tfjs to some messages: not the uploader's business.
  const line = text
    .split('\n')[0]
    .replace(/\s*File an issue at \S+.*$/, '')
    .trim();
  return line.length > MAX_LENGTH ? `${line.slice(0, MAX_LENGTH)}…` : line;
}
