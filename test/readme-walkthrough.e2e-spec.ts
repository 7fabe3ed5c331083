import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiProcess, startApiProcess } from './support/api-process';

const ROOT = join(__dirname, '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The README's walkthroughs, in reading order: every ```bash block of these sections. */
const WALKTHROUGH_SECTIONS = [
  "## The model registry: a model's life from upload to retirement",
  '## Serving predictions',
  '### A run with curl',
];

function sectionBody(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no section "${heading}"`);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(heading.startsWith('### ') ? /\n#{2,3} / : /\n## /);
  return end < 0 ? rest : rest.slice(0, end);
}

function walkthroughScript(): string {
  return WALKTHROUGH_SECTIONS.flatMap((h) => [...sectionBody(h).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1])).join('\n');
}

/** The first admin exactly as the Quickstart starts the server. */
function quickstartAdmin(): { email: string; password: string } {
  const m = /ADMIN_EMAIL=(\S+) ADMIN_PASSWORD='([^']+)' npm start/.exec(README);
  if (!m) throw new Error("README.md's Quickstart no longer starts with ADMIN_EMAIL=… ADMIN_PASSWORD='…' npm start");
  return { email: m[1], password: m[2] };
}

const missingTools = ['bash', 'curl', 'jq'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);

/**
 * The README's walkthroughs, pasted in order into bash against a server started as the Quickstart
 * says (from the sources here, on a fresh embedded database): every command must work, and the
 * answers must be the ones the text promises.
 */
(missingTools.length && process.env.CI !== 'true' ? describe.skip : describe)('README walkthroughs (e2e)', () => {
  if (missingTools.length && process.env.CI !== 'true') {
    process.stderr.write(
      `[skipped] "README walkthroughs (e2e)": needs ${missingTools.join(', ')} on PATH (e.g. apt-get install ${missingTools.join(' ')}).\n`,
    );
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-readme-'));
  let api: ApiProcess | undefined;

  afterAll(async () => {
    await api?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('run as written, in order: registry, serving, training', async () => {
    const admin = quickstartAdmin();
    api = await startApiProcess({
      DATA_DIR: dataDir,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      JWT_SECRET: randomBytes(32).toString('hex'),
    });
    const script = walkthroughScript().replaceAll('http://localhost:3000', api.base);
    expect(script).toContain('POST /v1/users');

    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const bash = spawn('bash', ['-e', '-o', 'pipefail', '-s'], { cwd: ROOT, env: process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      bash.stdout.on('data', (d: Buffer) => (out += d.toString()));
      bash.stderr.on('data', (d: Buffer) => (out += d.toString()));
      bash.once('error', reject);
      bash.once('exit', (exitCode) => resolve({ code: exitCode, output: out }));
      bash.stdin.end(script);
    });
    if (code !== 0) throw new Error(`the walkthrough stopped (exit ${code}); its last output:\n${output.slice(-3_000)}`);

    // Every problem answered is the one the text shows on purpose (the malformed CSV).
    const problems = [...output.matchAll(/"status":(\d{3}),[^{}]*?"code":"([A-Z_]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(problems).toEqual(['422 DATASET_MALFORMED']);
    expect(output).not.toMatch(/"accessToken":null|Bearer null|X-API-Key: null/);

    // Registry: versions 1–4 of iris as the steps describe; the downloaded artifact's hash is the version's.
    const stages = [...output.matchAll(/"model":"iris","version":(\d+),"stage":"([a-z]+)"/g)].map((m) => `v${m[1]} ${m[2]}`);
    expect(stages).toEqual(
      expect.arrayContaining(['v1 production', 'v2 production', 'v1 deprecated', 'v3 staging', 'v4 draft', 'v1 retired']),
    );
    const downloaded = /([0-9a-f]{64}) {2}-\n/.exec(output)?.[1];
    expect(downloaded).toBeDefined();
    expect(output).toContain(`"sha256":"${downloaded}"`);

    // Serving: the production version (2) answers v1 and v2 calls, with a consumer key.
    expect(output).toMatch(/x-model-version: 2/i);
    expect(output).toContain('"model":"iris","version":2,"predictions":');
    expect(output).toContain('"model_name":"iris","model_version":"2"');

    // Training: a new model, trained, predicted with (rows by position and by name), promoted.
    expect(output).toMatch(/event: status\n(id: .*\n)?data: \{"id":"[^"]+","status":"succeeded","modelName":"blobs-classifier"/);
    expect(output.match(/"model":"blobs-classifier","version":1,"predictions":/g)).toHaveLength(2);
    expect(output).toContain('"model":"blobs-classifier","version":1,"stage":"production"');
  }, 300_000);
});
