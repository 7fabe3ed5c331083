import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { AuthService, UsersService } from '@app/auth';
import { createApp } from '../../apps/api/src/create-app';
import { benchConfig } from './bench-config';

/**
 * Model registry latencies, in-process (app.inject: no network), sequential requests:
 * - upload of the fixture classifier (multipart, 3 files, ~2.4 KB: inspect with tfjs, store, commit)
 *   measured over the first and the last 100 of VERSIONS uploads to one model;
 * - with VERSIONS versions in place: list pages (first, last, stage filter), get one version,
 *   get the model, and the transition history.
 *
 *   node dist/scripts/bench/registry [versions=1000] [repeats=200]
 * Embedded PGlite by default; set DATABASE_URL to measure on Postgres.
 */

const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'generated', 'classifier');

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
  return { n: s.length, mean: s.reduce((a, b) => a + b, 0) / s.length, p50: at(50), p95: at(95), p99: at(99) };
}

const row = (name: string, ms: number[]) => {
  const r = stats(ms);
  return `| ${name} | ${r.n} | ${r.mean.toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.p99.toFixed(2)} |`;
};

async function timed(fn: () => Promise<{ statusCode: number; body: string }>, expected: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  const res = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.statusCode !== expected) throw new Error(`expected ${expected}, got ${res.statusCode}: ${res.body.slice(0, 300)}`);
  return ms;
}

async function multipartBody(): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  for (const name of readdirSync(FIXTURE).sort()) {
    form.append('files', new Blob([new Uint8Array(readFileSync(join(FIXTURE, name)))]), name);
  }
  const encoded = new Response(form);
  return { payload: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

async function main(): Promise<void> {
  const versions = Number(process.argv[2] ?? 1000);
  const repeats = Number(process.argv[3] ?? 200);
  const { config, dataDir } = benchConfig({
    SUNSET_SWEEP_INTERVAL_SECONDS: '0',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  const app: NestFastifyApplication = await createApp(config, { logger: pino({ level: 'silent' }) });
  try {
    await app.get(UsersService).create({ email: 'bench@modelgate.test', password: 'bench-password-1', roles: ['ml-engineer'] }, null);
    const { accessToken } = await app
      .get(AuthService)
      .login({ email: 'bench@modelgate.test', password: 'bench-password-1' }, { ip: '127.0.0.1', requestId: 'bench' });
    const auth = { authorization: `Bearer ${accessToken}` };
    const name = `bench-${randomBytes(3).toString('hex')}`;
    await app.inject({ method: 'POST', url: '/v1/models', headers: auth, payload: { name } });
    const body = await multipartBody();

    const uploads: number[] = [];
    for (let i = 0; i < versions; i++) {
      uploads.push(
        await timed(
          () =>
            app.inject({
              method: 'POST',
              url: `/v1/models/${name}/versions`,
              headers: { ...auth, 'content-type': body.contentType },
              payload: body.payload,
            }),
          201,
        ),
      );
    }
    // Some versions in other stages, so the stage filter has something to find.
    for (let v = 1; v <= Math.min(50, versions); v++) {
      await app.inject({ method: 'POST', url: `/v1/models/${name}/versions/${v}/transitions`, headers: auth, payload: { to: 'staging' } });
    }

    const get = (url: string) => () => app.inject({ method: 'GET', url, headers: auth });
    const measure = async (url: string) => {
      for (let i = 0; i < 20; i++) await get(url)();
      const out: number[] = [];
      for (let i = 0; i < repeats; i++) out.push(await timed(get(url), 200));
      return out;
    };

    console.log(
      `node ${process.version}, ${config.database.url ? 'Postgres' : 'embedded PGlite'}, ${versions} versions of one model, ${repeats} sequential requests per read\n`,
    );
    console.log('| operation | n | mean ms | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|');
    console.log(row('upload (multipart, 3 files) — first 100', uploads.slice(0, 100)));
    console.log(row(`upload — last 100 (versions ${versions - 99}..${versions})`, uploads.slice(-100)));
    console.log(row('upload — all', uploads));
    console.log(row('GET versions?limit=20 (newest page)', await measure(`/v1/models/${name}/versions?limit=20`)));
    console.log(row('GET versions?limit=100', await measure(`/v1/models/${name}/versions?limit=100`)));
    console.log(
      row(
        `GET versions?limit=20&offset=${versions - 20} (oldest page)`,
        await measure(`/v1/models/${name}/versions?limit=20&offset=${versions - 20}`),
      ),
    );
    console.log(row('GET versions?stage=staging&limit=20', await measure(`/v1/models/${name}/versions?stage=staging&limit=20`)));
    console.log(row('GET versions/{v}', await measure(`/v1/models/${name}/versions/${Math.ceil(versions / 2)}`)));
    console.log(row('GET models/{name}', await measure(`/v1/models/${name}`)));
    console.log(row('GET models?q=bench', await measure(`/v1/models?q=bench`)));
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
