// Node's ES module loader (and TypeScript's `moduleResolution: nodenext`) needs full relative
// specifiers, but the sources (the generated ones included) import without extensions. This adds
// them to the ESM build, in the emitted .js and .d.ts files alike: `./x` becomes `./x.js`, or
// `./x/index.js` for a directory. A specifier that resolves to neither fails the build.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist/esm');
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}(?:\/[^'"]*)?)\2/g;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

function withExtension(file, specifier) {
  if (/\.(m|c)?js$|\.json$/.test(specifier)) return specifier;
  const target = resolve(dirname(file), specifier);
  if (existsSync(`${target}.js`)) return `${specifier}.js`;
  if (existsSync(join(target, 'index.js'))) return `${specifier.replace(/\/$/, '')}/index.js`;
  throw new Error(`${file}: cannot resolve ${specifier} in the ESM build`);
}

let changed = 0;
for (const file of walk(root).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
  const source = readFileSync(file, 'utf8');
  const output = source.replace(SPECIFIER, (_, lead, quote, specifier) => `${lead}${quote}${withExtension(file, specifier)}${quote}`);
  if (output !== source) {
    writeFileSync(file, output);
    changed++;
  }
}
console.log(`esm-extensions: ${changed} files in ${root} now import with extensions`);
