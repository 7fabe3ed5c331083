import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, createUser, type TestUser } from './support/auth';
import { fixturePath, readFixtureReference } from './support/fixtures';
import { childEnv, packSdk, type PackedSdk, REPO_ROOT, runOk, scratchProject } from './support/sdk-package';
import { startTestApp, type TestApp } from './support/test-app';

const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const LABELS = ['setosa', 'versicolor', 'virginica'];

/**
 * @modelgate/sdk as a client team gets it: `npm pack`ed, installed from the tarball into an ESM
 * TypeScript project (module/moduleResolution nodenext, type-checked) and a CommonJS one, each
 * running a whole flow as a child process against the real app listening on a port.
 */
describe('@modelgate/sdk as an npm package (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  let engineer: TestUser;
  let work: string;
  let packed: PackedSdk;
  const reference = readFixtureReference('classifier');

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'modelgate-sdk-package-'));
    packed = await packSdk(work);
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    engineer = await createUser(t, 'ml-engineer');
  }, 300_000);

  afterAll(async () => {
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('packs ESM and CommonJS builds with their types and the modelgate bin, and nothing else', () => {
    const files = packed.files;
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'dist/esm/cli/main.js',
        'dist/esm/generated/sdk.gen.js',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/cjs/package.json',
      ]),
    );
    expect(files.filter((f) => !/^(package\.json|README\.md|dist\/(esm|cjs)\/.+\.(js|d\.ts|json))$/.test(f))).toEqual([]);
    expect(files.filter((f) => /spec|testing\/|\.ts$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    expect(packed.tarball).toMatch(/modelgate-sdk-(\d+\.\d+\.\d+)\.tgz$/);
    const rootVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(packed.tarball).toContain(`modelgate-sdk-${rootVersion}.tgz`);
  });

  it('works in an ESM TypeScript project (nodenext): type-checked, then a whole flow against the server', async () => {
    const dir = join(work, 'esm-project');
    await scratchProject(dir, packed.tarball, { name: 'esm-consumer', type: 'module' });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022'],
          strict: true,
          skipLibCheck: false,
          outDir: 'out',
          rootDir: '.',
          typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        include: ['flow.ts', 'require-types.cts'],
      }),
    );
    writeFileSync(join(dir, 'flow.ts'), ESM_FLOW);
    writeFileSync(join(dir, 'require-types.cts'), REQUIRE_TYPES);
    await runOk(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir, timeoutMs: 120_000 });

    const ran = await runOk(process.execPath, ['out/flow.js'], {
      cwd: dir,
      env: childEnv({
        MG_URL: baseUrl,
        MG_EMAIL: engineer.email,
        MG_PASSWORD: engineer.password,
        MG_MODEL: 'iris-esm',
        MG_FIXTURE: fixturePath('classifier'),
        MG_ROWS: JSON.stringify(reference.inputs.slice(0, 3)),
        MG_LABELS: JSON.stringify(LABELS),
      }),
    });
    const result = JSON.parse(ran.stdout);
    expect(result).toMatchObject({
      me: { email: engineer.email, roles: ['ml-engineer'] },
      model: { name: 'iris-esm', task: 'classification' },
      uploaded: { model: 'iris-esm', version: 1, stage: 'draft', labels: LABELS, metrics: { accuracy: 0.97 }, params: { source: 'esm' } },
      promoted: 'production',
      prediction: { model: 'iris-esm', version: 1 },
      notFound: {
        status: 404,
        code: 'MODEL_NOT_FOUND',
        message: expect.stringMatching(/^MODEL_NOT_FOUND: /),
        requestId: expect.any(String),
      },
      sameErrorForTheCommonJsBuild: true,
    });
    expectPredictions(result.prediction, 3);
  });

  it('works in a CommonJS project (require), with client credentials and an archive upload', async () => {
    const dir = join(work, 'cjs-project');
    await scratchProject(dir, packed.tarball, { name: 'cjs-consumer', type: 'commonjs' });
    writeFileSync(join(dir, 'flow.js'), CJS_FLOW);
    const account = await createApiKey(t, 'ml-engineer');
    const ran = await runOk(process.execPath, ['flow.js'], {
      cwd: dir,
      env: childEnv({
        MG_URL: baseUrl,
        MG_CLIENT_ID: account.clientId,
        MG_CLIENT_SECRET: account.clientSecret,
        MG_MODEL: 'iris-cjs',
        MG_ARCHIVE: fixturePath('classifier.tar.gz'),
        MG_ROWS: JSON.stringify(reference.inputs.slice(0, 2)),
      }),
    });
    const result = JSON.parse(ran.stdout);
    expect(result).toMatchObject({
      uploaded: { model: 'iris-cjs', version: 1, stage: 'draft' },
      promoted: 'production',
      prediction: { model: 'iris-cjs', version: 1 },
      notFound: { status: 404, code: 'MODEL_NOT_FOUND', isError: true, isModelGateError: true },
      conflict: { status: 409, code: expect.any(String) },
    });
    expectPredictions(result.prediction, 2);
  });

  function expectPredictions(prediction: { predictions: number[][] }, rows: number): void {
    expect(prediction.predictions).toHaveLength(rows);
    prediction.predictions.forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(reference.outputs[r][c], 5)));
  }
});

/** The ESM consumer: typed imports, top-level await, every flow of the brief, and a typed error. */
const ESM_FLOW = `
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { isModelGateError, ModelGateClient, ModelGateError, type ErrorCode, type ModelVersionDto, type PredictResponseDto } from '@modelgate/sdk';

const env = process.env as Record<string, string>;
const mg = new ModelGateClient({ baseUrl: env.MG_URL, email: env.MG_EMAIL, password: env.MG_PASSWORD });

// The options type allows one kind of credentials per client (checked by tsc, never run).
export const oneKindOfCredentials = () =>
  // @ts-expect-error an API key and a token at once
  new ModelGateClient({ baseUrl: env.MG_URL, apiKey: 'mgk_x', token: 'eyJ' });

await mg.login();
const me = await mg.me();
const model = await mg.models.create({ name: env.MG_MODEL, task: 'classification', description: 'from an ESM project' });
const uploaded: ModelVersionDto = await mg.versions.upload(
  env.MG_MODEL,
  { paths: [join(env.MG_FIXTURE, 'model.json'), join(env.MG_FIXTURE, 'group1-shard1of1.bin')] },
  { labels: JSON.parse(env.MG_LABELS) as string[], metrics: { accuracy: 0.97 }, params: { source: 'esm' } },
);
await mg.versions.promote(env.MG_MODEL, uploaded.version, { to: 'staging' });
const promoted = await mg.versions.promote(env.MG_MODEL, uploaded.version);
const prediction: PredictResponseDto = await mg.predict(env.MG_MODEL, JSON.parse(env.MG_ROWS) as number[][], { retry: true });

let notFound: { status: number; code: ErrorCode | string; message: string; requestId?: string } | undefined;
let sameErrorForTheCommonJsBuild = false;
try {
  await mg.models.get('no-such-model');
} catch (error) {
  if (!(error instanceof ModelGateError) || !isModelGateError(error, 'MODEL_NOT_FOUND')) throw error;
  notFound = { status: error.status, code: error.code, message: error.message, requestId: error.requestId };
  const cjs = createRequire(import.meta.url)('@modelgate/sdk') as typeof import('@modelgate/sdk');
  sameErrorForTheCommonJsBuild = cjs.isModelGateError(error, 'MODEL_NOT_FOUND');
}
// A model that requires approval answers a pending promotion request (202) instead of the version.
const promotedStage = 'stage' in promoted ? promoted.stage : promoted.status;
process.stdout.write(JSON.stringify({ me, model, uploaded, promoted: promotedStage, prediction, notFound, sameErrorForTheCommonJsBuild }));
`;

/** Type-checked as CommonJS: \`require\` resolves the package's CommonJS types. */
const REQUIRE_TYPES = `
import sdk = require('@modelgate/sdk');
const client: sdk.ModelGateClient = new sdk.ModelGateClient({ baseUrl: 'http://127.0.0.1:1', apiKey: 'mgk_x' });
const code: sdk.ErrorCode | sdk.ClientErrorCode = 'NETWORK_ERROR';
export = { client, code };
`;

/** The CommonJS consumer: plain require, OAuth2 client credentials, a .tar.gz upload, typed errors. */
const CJS_FLOW = `
const { ModelGateClient, ModelGateError, isModelGateError } = require('@modelgate/sdk');

(async () => {
  const env = process.env;
  const mg = new ModelGateClient({ baseUrl: env.MG_URL, clientId: env.MG_CLIENT_ID, clientSecret: env.MG_CLIENT_SECRET });
  await mg.models.create({ name: env.MG_MODEL, task: 'classification' });
  const uploaded = await mg.versions.upload(env.MG_MODEL, { paths: [env.MG_ARCHIVE] }, { description: 'archive from a CommonJS project' });
  await mg.versions.promote(env.MG_MODEL, uploaded.version, { to: 'staging' });
  const promoted = await mg.versions.promote(env.MG_MODEL, uploaded.version);
  const prediction = await mg.predict(env.MG_MODEL, JSON.parse(env.MG_ROWS));
  const caught = (promise) => promise.then(() => { throw new Error('expected a failure'); }, (e) => e);
  const missing = await caught(mg.models.get('no-such-model'));
  const duplicate = await caught(mg.models.create({ name: env.MG_MODEL }));
  process.stdout.write(JSON.stringify({
    uploaded,
    promoted: promoted.stage,
    prediction,
    notFound: { status: missing.status, code: missing.code, isError: missing instanceof ModelGateError, isModelGateError: isModelGateError(missing, 'MODEL_NOT_FOUND') },
    conflict: { status: duplicate.status, code: duplicate.code },
  }));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;
