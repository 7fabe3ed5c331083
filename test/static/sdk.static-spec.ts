import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('generated SDK', () => {
  it('is current with openapi.json (run `npm run sdk`)', () => {
    const out = mkdtempSync(join(tmpdir(), 'modelgate-sdk-'));
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', '.bin', 'openapi-ts')], {
        cwd: root,
        env: { ...process.env, SDK_OUT: out },
        stdio: 'ignore',
      });
      const fresh = files(out);
      const committed = files(join(root, 'libs', 'sdk', 'src', 'generated'));
      expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
      for (const [name, content] of fresh) expect({ name, content: committed.get(name) }).toEqual({ name, content });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
