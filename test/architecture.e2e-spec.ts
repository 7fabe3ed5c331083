import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/**
 * Keeps imports flowing one way (README, Architecture): apps → libs; every lib → common, database;
 * predictions → inference, models; training → models, inference. Never libs → apps.
 */
const ALLOWED: Record<string, string[]> = {
  common: [],
  database: ['common'],
  observability: ['common', 'database'],
  audit: ['common', 'database'],
  auth: ['common', 'database', 'audit'],
  models: ['common', 'database', 'audit', 'inference'],
  inference: ['common'],
  predictions: ['common', 'database', 'audit', 'inference', 'models'],
  training: ['common', 'database', 'audit', 'inference', 'models'],
  sdk: [],
};

const root = join(__dirname, '..');

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

describe('architecture: one-way imports', () => {
  const libs = readdirSync(join(root, 'libs')).filter((d) => statSync(join(root, 'libs', d)).isDirectory());

  it('knows every lib', () => {
    expect(libs.filter((l) => !(l in ALLOWED))).toEqual([]);
  });

  it.each(libs)('libs/%s imports only what it may', (lib) => {
    const violations: string[] = [];
    for (const file of tsFiles(join(root, 'libs', lib))) {
      for (const spec of importsOf(file)) {
        const at = relative(root, file);
        const alias = /^@app\/([a-z-]+)/.exec(spec)?.[1];
        if (alias && alias !== lib && !ALLOWED[lib].includes(alias)) violations.push(`${at} → @app/${alias}`);
        if (spec.startsWith('.')) {
          const target = relative(root, join(file, '..', spec));
          // Unit specs may read the generated fixtures through the test support code.
          const fixtureAccess = file.endsWith('.spec.ts') && target.startsWith(join('test', 'support'));
          if (!target.startsWith(['libs', lib].join(sep)) && !fixtureAccess) {
            violations.push(`${at} → ${target} (relative import out of the lib)`);
          }
        }
        if (/apps\//.test(spec)) violations.push(`${at} → ${spec} (libs never import apps)`);
      }
    }
    expect(violations).toEqual([]);
  });
});
