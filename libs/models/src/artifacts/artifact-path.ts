import { UnsafeArchiveError } from '../domain/registry-errors';

const SEGMENT = /^[A-Za-z0-9._@+=,-][A-Za-z0-9 ._@+=,-]*$/;
const MAX_PATH_LENGTH = 255;

/**
 * A path inside an artifact, as stored and served: relative, POSIX, no `.`/`..` segments, plain
 * characters only. Anything else is refused rather than "cleaned", so what is stored is exactly
 * what was named in the upload.
 */
export function safeArtifactPath(raw: string): string {
  const unsafe = (why: string) => new UnsafeArchiveError('unsafe-path', `Path "${printable(raw)}" is not allowed: ${why}.`);
  if (raw.length === 0 || raw.length > MAX_PATH_LENGTH) throw unsafe(`it must have 1 to ${MAX_PATH_LENGTH} characters`);
  if (raw.includes('\\')) throw unsafe('backslashes are not path separators here');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw unsafe('absolute paths are refused');
  const segments = raw.replace(/^(\.\/)+/, '').split('/');
  if (segments.some((s) => s === '..')) throw unsafe('".." segments are refused');
  if (segments.some((s) => s === '' || s === '.')) throw unsafe('empty or "." segments are refused');
  if (!segments.every((s) => SEGMENT.test(s))) throw unsafe('only letters, digits, space and ._@+=,- are allowed');
  return segments.join('/');
}

function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.slice(0, 120).replace(/[\u0000-\u001f\u007f]/g, '?');
}
