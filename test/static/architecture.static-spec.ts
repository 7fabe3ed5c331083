import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The import rules live in .dependency-cruiser.cjs (lib direction, no cycles, layers inside a lib,
 * no ORM in services) and run in `npm run lint`; this suite runs them too, so `npm test` alone
 * enforces them, and adds what dependency-cruiser cannot see: what an import *says* (it resolves
 * paths, so a package's public entry under dist/ and a reach into dist/ look alike).
 */
const root = join(__dirname, '..', '..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'generated' ? [] : tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
}

/** typeorm-pglite does not export the pool it builds on, which libs/database must extend. */
const DIST_ALLOWED = new Set(['typeorm-pglite/dist/pglite-pool']);

describe('architecture (static)', () => {
  it('dependency-cruiser finds no violation of the import rules', () => {
    const run = () =>
      execFileSync(
        process.execPath,
        [
          join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs'),
          'apps',
          'libs',
          'scripts',
          '--config',
          '.dependency-cruiser.cjs',
        ],
        {
          cwd: root,
          encoding: 'utf8',
          stdio: 'pipe',
        },
      );
    expect(run).not.toThrow();
  }, 120_000);

  it('every lib has its rule in .dependency-cruiser.cjs', () => {
    const config = readFileSync(join(root, '.dependency-cruiser.cjs'), 'utf8');
    const libs = readdirSync(join(root, 'libs')).filter((d) => statSync(join(root, 'libs', d)).isDirectory());
    expect(libs.filter((lib) => !new RegExp(`^\\s+${lib}: \\[`, 'm').test(config))).toEqual([]);
  });

  it("no source imports a package's dist/ or src/ internals", () => {
    const violations = ['apps', 'libs', 'scripts'].flatMap((dir) =>
      tsFiles(join(root, dir)).flatMap((file) =>
        importsOf(file)
          .filter((spec) => !spec.startsWith('.') && !spec.startsWith('@app/') && /\/(dist|src)\//.test(spec) && !DIST_ALLOWED.has(spec))
          .map((spec) => `${relative(root, file)} → ${spec}`),
      ),
    );
    expect(violations).toEqual([]);
  });
});
