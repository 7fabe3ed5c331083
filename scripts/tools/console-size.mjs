// Prints the web console's initial JavaScript (the entry script and the modules index.html preloads),
// gzipped, and fails when it is over the budget (issue 14: 300 KB). Usage: node scripts/tools/console-size.mjs [dir]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 300 * 1024;
const dir = process.argv[2] ?? 'dist/console';
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const initial = [...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/console\/([^"]+\.js)"/g)].map(
  (m) => m[1],
);
let raw = 0;
let gzipped = 0;
for (const file of new Set(initial)) {
  const bytes = readFileSync(join(dir, file));
  raw += bytes.length;
  gzipped += gzipSync(bytes, { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`console: initial JavaScript ${kb(gzipped)} gzipped (${kb(raw)} raw, ${initial.length} file(s)); budget ${kb(BUDGET_BYTES)}`);
if (initial.length === 0) {
  console.error('console-size: no script found in index.html');
  process.exit(1);
}
if (gzipped > BUDGET_BYTES) {
  console.error('console-size: the initial JavaScript is over budget');
  process.exit(1);
}
