import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapAdmin, createUser, type TestUser } from './support/auth';
import { fixturePath, readFixtureReference } from './support/fixtures';
import { childEnv, packSdk, run, type Ran, scratchProject } from './support/sdk-package';
import { startTestApp, type TestApp } from './support/test-app';
import { BLOBS_FEATURES, blobsSplit } from './support/training';

/**
 * The `modelgate` command as people and CI run it: installed from the packed @modelgate/sdk into a
 * scratch project, run through its bin as a child process against the real app on a port, with its
 * profile file in a temporary XDG_CONFIG_HOME.
 */
describe('modelgate CLI (e2e)', () => {
  let t: TestApp;
  let url: string;
  let admin: TestUser;
  let engineer: TestUser;
  let work: string;
  let bin: string;
  let configHome: string;
  const configFile = () => join(configHome, 'modelgate', 'config.json');
  const reference = readFixtureReference('classifier');
  const LABELS = ['setosa', 'versicolor', 'virginica'];
  let datasetId: string;

  /** Runs `modelgate <args>`; only what `env` adds reaches it (no MODELGATE_* of this process). */
  const cli = (args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Ran> =>
    run(bin, args, {
      cwd: work,
      env: childEnv({ HOME: join(work, 'home'), XDG_CONFIG_HOME: configHome, ...options.env }),
      input: options.input,
      timeoutMs: 120_000,
    });
  const cliJson = async (args: string[], options: { env?: Record<string, string>; input?: string } = {}) => {
    const ran = await cli([...args, '--json'], options);
    if (ran.code !== 0) throw new Error(`modelgate ${args.join(' ')} exited ${ran.code}\n${ran.stdout}\n${ran.stderr}`);
    return JSON.parse(ran.stdout);
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'modelgate-cli-'));
    configHome = join(work, 'config');
    mkdirSync(join(work, 'home'));
    const packed = await packSdk(work);
    await scratchProject(join(work, 'project'), packed.tarball, { name: 'cli-user' });
    bin = join(work, 'project', 'node_modules', '.bin', 'modelgate');
    t = await startTestApp({ TRAINING_SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    admin = await bootstrapAdmin(t);
    engineer = await createUser(t, 'ml-engineer');
  }, 300_000);

  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('login stores the session in a 0600 profile file and never prints a secret', async () => {
    const signedIn = await cli(['login', '--url', url, '--email', engineer.email, '--password-stdin'], { input: `${engineer.password}\n` });
    expect(signedIn).toMatchObject({ code: 0 });
    expect(signedIn.stdout).toContain(`as ${engineer.email} (ml-engineer)`);
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect(statSync(join(configHome, 'modelgate')).mode & 0o777).toBe(0o700);
    const profile = JSON.parse(readFileSync(configFile(), 'utf8')).profiles.default;
    expect(profile).toMatchObject({
      url,
      email: engineer.email,
      refreshToken: expect.stringMatching(/^mgr_/),
      accessToken: expect.any(String),
    });
    for (const secret of [engineer.password, profile.refreshToken, profile.accessToken])
      expect(signedIn.stdout + signedIn.stderr).not.toContain(secret);

    const asAdmin = await cliJson(['login', '--profile', 'admin', '--url', url, '--email', admin.email, '--password-stdin'], {
      input: admin.password,
    });
    expect(asAdmin).toEqual({
      profile: 'admin',
      configFile: configFile(),
      url,
      caller: expect.objectContaining({ email: admin.email, roles: ['admin'] }),
    });
    expect(JSON.stringify(asAdmin)).not.toMatch(/mgr_|eyJ/);
  });

  it('models create, ls and get, as tables and as JSON', async () => {
    const created = await cliJson([
      'models',
      'create',
      'iris-cli',
      '--task',
      'classification',
      '--description',
      'from the CLI',
      '--tag',
      'demo',
      '--tag',
      'cli',
    ]);
    expect(created).toMatchObject({ name: 'iris-cli', task: 'classification', tags: ['demo', 'cli'] });

    const listed = await cliJson(['models', 'ls']);
    expect(listed.items.map((m: { name: string }) => m.name)).toContain('iris-cli');
    expect(listed.page).toMatchObject({ total: expect.any(Number) });

    const table = await cli(['models', 'ls', '--tag', 'cli']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/NAME.*TASK/);
    expect(table.stdout).toContain('iris-cli');

    const shown = await cli(['models', 'get', 'iris-cli']);
    expect(shown).toMatchObject({ code: 0 });
    expect(shown.stdout).toContain('from the CLI');
  });

  it('versions upload (labels and metrics as plain values), promote, ls and get', async () => {
    const dir = fixturePath('classifier');
    const uploaded = await cliJson([
      'versions',
      'upload',
      'iris-cli',
      join(dir, 'model.json'),
      join(dir, 'group1-shard1of1.bin'),
      '--labels',
      LABELS.join(','),
      '--metrics',
      '{"accuracy":0.97}',
      '--description',
      'first',
    ]);
    expect(uploaded).toMatchObject({ model: 'iris-cli', version: 1, stage: 'draft', labels: LABELS, metrics: { accuracy: 0.97 } });

    const archive = await cliJson(['versions', 'upload', 'iris-cli', fixturePath('classifier.zip')]);
    expect(archive).toMatchObject({ version: 2, stage: 'draft' });

    const staged = await cli(['versions', 'promote', 'iris-cli', '1', '--to', 'staging', '--reason', 'review']);
    expect(staged).toMatchObject({ code: 0, stdout: 'iris-cli version 1 is now staging.\n' });
    expect(await cliJson(['versions', 'promote', 'iris-cli', '1'])).toMatchObject({ version: 1, stage: 'production' });

    const versions = await cliJson(['versions', 'ls', 'iris-cli']);
    expect(versions.items.map((v: { version: number; stage: string }) => [v.version, v.stage])).toEqual([
      [2, 'draft'],
      [1, 'production'],
    ]);
    const shown = await cli(['versions', 'get', 'iris-cli', '1']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/stage\s*│\s*production/);

    // A version taking 32 features over production's 4: refused, and only an admin's --force overrides it.
    const wide = fixturePath('mlp-bench');
    const third = await cliJson(['versions', 'upload', 'iris-cli', join(wide, 'model.json'), join(wide, 'group1-shard1of1.bin')]);
    await cliJson(['versions', 'promote', 'iris-cli', String(third.version), '--to', 'staging']);
    const mismatch = await cli(['versions', 'promote', 'iris-cli', String(third.version)]);
    expect(mismatch.code).toBe(5);
    expect(mismatch.stderr).toMatch(/SIGNATURE_MISMATCH \(409\)[\s\S]*inputs\.features\.shape/);
    const notAdmin = await cli(['versions', 'promote', 'iris-cli', String(third.version), '--force']);
    expect(notAdmin.stderr).toMatch(/FORCE_NOT_ALLOWED \(403\)/);
    const forced = await cliJson(['--profile', 'admin', 'versions', 'promote', 'iris-cli', String(third.version), '--force']);
    expect(forced).toMatchObject({ version: third.version, stage: 'production' });
    // Back to the 4-feature version, as the rest of this suite expects.
    await cliJson(['--profile', 'admin', 'versions', 'promote', 'iris-cli', '1', '--force']);
    expect(shown.stdout).toContain('setosa, versicolor, virginica');
  });

  it('predict: rows inline or from a file, a table with labels or the JSON answer', async () => {
    const rows = reference.inputs.slice(0, 2);
    const answer = await cliJson(['predict', 'iris-cli', JSON.stringify(rows), '--retry']);
    expect(answer).toMatchObject({ model: 'iris-cli', version: 1, labels: expect.any(Array) });
    answer.predictions.forEach((row: number[], r: number) => row.forEach((v, c) => expect(v).toBeCloseTo(reference.outputs[r][c], 5)));

    const file = join(work, 'rows.json');
    writeFileSync(file, JSON.stringify({ instances: rows }));
    const table = await cli(['predict', 'iris-cli', '--input', file, '--version', '1']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ROW.*LABEL.*PREDICTION/);
    for (const label of answer.labels) expect(table.stdout).toContain(label);
    expect(table.stderr).toContain('iris-cli version 1');
  });

  it('datasets upload, then train --follow: progress per epoch, then the metrics', async () => {
    const csv = join(work, 'blobs.csv');
    writeFileSync(csv, blobsSplit(20).training);
    const dataset = await cliJson(['datasets', 'upload', csv, '--name', 'blobs']);
    expect(dataset).toMatchObject({ name: 'blobs', format: 'csv', rows: expect.any(Number) });
    datasetId = dataset.id;

    const trained = await cli([
      'train',
      '--dataset',
      dataset.id,
      '--model',
      'blobs-cli',
      '--features',
      BLOBS_FEATURES.join(','),
      '--target',
      'species',
      '--hidden',
      '8',
      '--epochs',
      '4',
      '--batch-size',
      '32',
      '--learning-rate',
      '0.05',
      '--seed',
      '7',
      '--follow',
    ]);
    expect(trained.code).toBe(0);
    for (let epoch = 1; epoch <= 4; epoch++) expect(trained.stderr).toMatch(new RegExp(`epoch ${epoch}/4: loss \\d`));
    expect(trained.stdout).toMatch(/succeeded: blobs-cli version 1 is in staging/);
    expect(trained.stdout).toMatch(/accuracy\s*│\s*[0-9.]+/);

    const followedAsJson = await cliJson(['train', '--spec', JSON.stringify(trainSpec(dataset.id)), '--epochs', '2', '--follow']);
    expect(followedAsJson).toMatchObject({ status: 'succeeded', modelName: 'blobs-cli', modelVersion: 2, hyperparameters: { epochs: 2 } });
  });

  it('trains on a table with text columns and empty cells: the controls as flags, then predicts raw rows', async () => {
    const dataset = await cliJson(['datasets', 'upload', fixturePath('datasets', 'customers.csv'), '--name', 'customers']);
    expect(dataset.columns).toContainEqual({ name: 'plan', type: 'string', missing: expect.any(Number), distinct: 4 });
    const shown = await cli(['datasets', 'upload', fixturePath('datasets', 'customers.csv'), '--name', 'customers-again']);
    expect(shown.stdout).toMatch(/tenure \(number, \d+ missing\)/);
    const job = await cliJson([
      'train',
      '--dataset',
      dataset.id,
      '--model',
      'churn-cli',
      '--features',
      'tenure,monthly,plan,region,autopay',
      '--target',
      'churn',
      '--epochs',
      '3',
      '--optimizer',
      'rmsprop',
      '--early-stopping',
      '2',
      '--class-weight',
      'balanced',
      '--missing-indicator',
      '--max-categories',
      '10',
      '--seed',
      '4',
      '--follow',
    ]);
    expect(job).toMatchObject({
      status: 'succeeded',
      hyperparameters: {
        optimizer: 'rmsprop',
        earlyStopping: { patience: 2, minDelta: 0 },
        classWeight: 'balanced',
        missingIndicator: true,
        maxCategories: 10,
      },
      report: { rowsWithoutTarget: expect.any(Number) },
    });
    const answer = await cliJson([
      'predict',
      'churn-cli',
      JSON.stringify([{ tenure: 3, plan: 'basic', region: 'unseen' }, {}]),
      '--version',
      '1',
    ]);
    expect(answer.labels).toHaveLength(2);
    const refused = await cli([
      'train',
      '--dataset',
      dataset.id,
      '--model',
      'x1',
      '--features',
      'plan',
      '--target',
      'churn',
      '--optimizer',
      'lbfgs',
    ]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/lbfgs/);
  });

  // util-linux `script` runs the command on a pseudo-terminal: what a person sees.
  (existsSync('/usr/bin/script') ? it : it.skip)('train --follow on a terminal draws a progress bar', async () => {
    const args = ['train', '--spec', JSON.stringify(trainSpec(datasetId)), '--epochs', '3', '--follow'];
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const onTerminal = await run('/usr/bin/script', ['-qefc', [bin, ...args].map(quote).join(' '), '/dev/null'], {
      cwd: work,
      env: childEnv({ HOME: join(work, 'home'), XDG_CONFIG_HOME: configHome, TERM: 'xterm' }),
      timeoutMs: 120_000,
    });
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.stdout).toMatch(/epoch 3\/3 \u2588+ 100% \| loss \d/);
    expect(onTerminal.stdout).toMatch(/succeeded: blobs-cli version \d+ is in staging/);
  });

  it('keys create, ls and revoke (admin profile); a revoked key is refused with exit code 3', async () => {
    const created = await cliJson(['--profile', 'admin', 'keys', 'create', '--name', 'ci-reader', '--role', 'consumer']);
    expect(created).toMatchObject({ name: 'ci-reader', role: 'consumer', key: expect.stringMatching(/^mgk_/) });

    const keys = await cliJson(['keys', 'ls', '--profile', 'admin']);
    expect(keys.items.map((k: { id: string }) => k.id)).toContain(created.id);

    // The key works from the environment, and from the flag.
    expect(await cliJson(['models', 'get', 'iris-cli'], { env: { MODELGATE_URL: url, MODELGATE_API_KEY: created.key } })).toMatchObject({
      name: 'iris-cli',
    });
    expect((await cli(['--api-key', created.key, 'models', 'ls'])).code).toBe(0);

    const revoked = await cli(['keys', 'revoke', created.id, '--profile', 'admin']);
    expect(revoked).toMatchObject({ code: 0, stdout: `Revoked key ${created.id}.\n` });
    const refused = await cli(['--api-key', created.key, 'models', 'ls']);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: API_KEY_INVALID \(401\): /);
  });

  it('usage (admin), as a table and as JSON', async () => {
    const report = await cliJson(['usage', '--group-by', 'model', '--profile', 'admin']);
    expect(report).toEqual({ items: expect.any(Array) });
    const table = await cli(['--profile', 'admin', 'usage']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/MODEL.*REQUESTS.*ROWS.*ERRORS/);
    // A consumer... here an engineer, is not an admin: 403 is an auth failure.
    expect((await cli(['usage'])).code).toBe(3);
  });

  it('exit codes and errors: not found 4, bad token 3, refused 5, usage 2, unreachable 6; stdout stays empty', async () => {
    const missing = await cli(['models', 'get', 'no-such-model']);
    expect(missing).toMatchObject({ code: 4, stdout: '' });
    expect(missing.stderr).toMatch(/^error: MODEL_NOT_FOUND \(404\): .*no-such-model/);
    expect(missing.stderr).toMatch(/request id: \S+/);

    const missingJson = await cli(['models', 'get', 'no-such-model', '--json']);
    expect(missingJson).toMatchObject({ code: 4, stdout: '' });
    expect(JSON.parse(missingJson.stderr)).toMatchObject({ error: { status: 404, code: 'MODEL_NOT_FOUND', detail: expect.any(String) } });

    const badToken = await cli(['--token', 'not-a-jwt', 'models', 'ls']);
    expect(badToken.code).toBe(3);
    expect(badToken.stderr).toMatch(/TOKEN_INVALID|UNAUTHENTICATED/);

    const duplicate = await cli(['models', 'create', 'iris-cli']);
    expect(duplicate.code).toBe(5);
    expect(duplicate.stderr).toMatch(/MODEL_ALREADY_EXISTS \(409\)/);

    const skipped = await cli(['versions', 'promote', 'iris-cli', '2']);
    expect(skipped.code).toBe(5);
    expect(skipped.stderr).toMatch(/^error: INVALID_STAGE_TRANSITION \(409\): /);
    expect(skipped.stderr).toMatch(/\n {2}allowedTargets: .*staging/);

    const invalid = await cli(['predict', 'iris-cli', '[[1, 2, 3]]']);
    expect(invalid.code).toBe(5);
    expect(invalid.stderr).toMatch(/VALIDATION_FAILED \(422\)[\s\S]*\n {2}- instances\[0\]/);

    expect((await cli(['versions', 'get', 'iris-cli', 'one'])).code).toBe(2);
    expect((await cli(['models', 'nope'])).code).toBe(2);
    expect((await cli(['--token', 't', '--api-key', 'k', 'models', 'ls'])).code).toBe(2);
    const noUrl = await cli(['models', 'ls'], { env: { XDG_CONFIG_HOME: join(work, 'empty-config') } });
    expect(noUrl).toMatchObject({ code: 2, stdout: '' });
    expect(noUrl.stderr).toContain('no server URL');

    const version = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')).version;
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    expect(await cli(['-V'])).toMatchObject({ code: 0, stdout: `${version}\n` });

    const unreachable = await cli(['models', 'ls', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(6);
    expect(unreachable.stderr).toMatch(/NETWORK_ERROR/);
  });

  it('settings precedence: flags over environment over the profile', async () => {
    const dead = 'http://127.0.0.1:9';
    // The environment's URL beats the profile's...
    expect((await cli(['models', 'ls'], { env: { MODELGATE_URL: dead } })).code).toBe(6);
    // ...and the flag beats the environment's.
    expect((await cli(['models', 'ls', '--url', url], { env: { MODELGATE_URL: dead } })).code).toBe(0);
    // Credentials likewise: a bad token in the environment beats the profile's session; the flag beats the environment.
    expect((await cli(['models', 'ls'], { env: { MODELGATE_TOKEN: 'bad' } })).code).toBe(3);
    expect((await cli(['models', 'ls', '--token', engineer.accessToken], { env: { MODELGATE_TOKEN: 'bad' } })).code).toBe(0);
  });

  it('refreshes an expired session once and keeps the new single-use refresh token in the profile', async () => {
    const before = JSON.parse(readFileSync(configFile(), 'utf8'));
    before.profiles.default.accessTokenExpiresAt = new Date(Date.now() - 1000).toISOString();
    writeFileSync(configFile(), JSON.stringify(before));

    // Two commands at once: one refreshes, the other waits for it and uses the new pair (reusing the old refresh token would revoke the session).
    const [a, b] = await Promise.all([cli(['models', 'ls', '--json']), cli(['models', 'get', 'iris-cli', '--json'])]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const after = JSON.parse(readFileSync(configFile(), 'utf8')).profiles.default;
    expect(after.refreshToken).not.toBe(before.profiles.default.refreshToken);
    expect(Date.parse(after.accessTokenExpiresAt)).toBeGreaterThan(Date.now());
    expect(statSync(configFile()).mode & 0o777).toBe(0o600);
    expect((await cli(['models', 'ls'])).code).toBe(0);
  });

  it('logout ends the session and removes its credentials from the profile', async () => {
    const signedOut = await cli(['logout']);
    expect(signedOut).toMatchObject({ code: 0, stdout: 'Signed out (profile "default").\n' });
    expect(JSON.parse(readFileSync(configFile(), 'utf8')).profiles.default).toEqual({ url, email: engineer.email });
    const after = await cli(['models', 'ls']);
    expect(after.code).toBe(2);
    expect(after.stderr).toContain('not signed in');
  });
});

function trainSpec(datasetId: string) {
  return {
    modelName: 'blobs-cli',
    datasetId,
    task: 'classification',
    features: BLOBS_FEATURES,
    target: 'species',
    architecture: { hiddenLayers: [8], activation: 'relu' },
    hyperparameters: { epochs: 10, batchSize: 32, learningRate: 0.05, seed: 3 },
  };
}
