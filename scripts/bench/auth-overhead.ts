import { Controller, DynamicModule, Get, Module, VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import autocannon from 'autocannon';
import { rmSync } from 'node:fs';
import pino from 'pino';
import { ApiKeysService, AuthService, UsersService } from '@app/auth';
import { Public, Roles } from '@app/common';
import type { ApiConfig } from '../../apps/api/src/api-config';
import { AppModule } from '../../apps/api/src/app.module';
import { benchConfig } from './bench-config';

/**
 * What authentication costs per request: the same trivial handler behind @Public(), behind a
 * bearer JWT and behind an X-API-Key (both with a warm lookup cache, as in steady state), measured
 * in-process (app.inject, no network) and over loopback HTTP with autocannon.
 * `node dist/scripts/bench/auth-overhead [seconds]`.
 */

@Controller({ path: 'bench', version: '1' })
class BenchController {
  @Get('public')
  @Public()
  open() {
    return { ok: true };
  }

  @Get('protected')
  @Roles('consumer')
  guarded() {
    return { ok: true };
  }
}

@Module({})
class BenchModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return { module: BenchModule, imports: [AppModule.forRoot(config, pino({ level: 'silent' }))], controllers: [BenchController] };
  }
}

interface Case {
  name: string;
  url: string;
  headers: Record<string, string>;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Round-robin over the cases, so that load changes on the machine affect all of them alike. */
async function inProcess(app: NestFastifyApplication, cases: Case[], seconds: number) {
  const call = async (c: Case) => {
    const t0 = process.hrtime.bigint();
    const res = await app.inject({ method: 'GET', url: c.url, headers: c.headers });
    const micros = Number(process.hrtime.bigint() - t0) / 1000;
    if (res.statusCode !== 200) throw new Error(`${c.name}: ${res.statusCode} ${res.body}`);
    return micros;
  };
  for (let i = 0; i < 300; i++) for (const c of cases) await call(c);
  const times = cases.map(() => [] as number[]);
  const end = Date.now() + seconds * 1000 * cases.length;
  while (Date.now() < end) for (const [i, c] of cases.entries()) times[i].push(await call(c));
  return times.map((list) => {
    list.sort((a, b) => a - b);
    return { n: list.length, mean: list.reduce((s, x) => s + x, 0) / list.length, p50: percentile(list, 50), p99: percentile(list, 99) };
  });
}

async function overHttp(port: number, c: Case, seconds: number) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}${c.url}`, headers: c.headers, connections: 10, duration: seconds });
  if (result.non2xx > 0) throw new Error(`${c.name}: ${result.non2xx} non-2xx answers`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const { config, dataDir } = benchConfig();
  const app = await NestFactory.create<NestFastifyApplication>(BenchModule.forRoot(config), new FastifyAdapter(), { logger: false });
  app.enableVersioning({ type: VersioningType.URI });
  await app.init();
  try {
    await app.get(UsersService).create({ email: 'bench@modelgate.test', password: 'bench-password-1', roles: ['consumer'] }, null);
    const { accessToken } = await app
      .get(AuthService)
      .login({ email: 'bench@modelgate.test', password: 'bench-password-1' }, { ip: '127.0.0.1', requestId: 'bench' });
    const { key } = await app.get(ApiKeysService).create({ name: 'bench', role: 'consumer' }, null);
    const cases: Case[] = [
      { name: 'public (no auth)', url: '/v1/bench/public', headers: {} },
      { name: 'bearer JWT (HS256)', url: '/v1/bench/protected', headers: { authorization: `Bearer ${accessToken}` } },
      { name: 'X-API-Key', url: '/v1/bench/protected', headers: { 'x-api-key': key } },
    ];
    console.log(`node ${process.version}, ${seconds}s per case; same handler, warm caches\n`);
    console.log(
      'in-process (app.inject, one at a time, cases interleaved):\n| route | requests | mean µs | p50 µs | p99 µs | overhead µs (p50) |\n|---|---:|---:|---:|---:|---:|',
    );
    const results = await inProcess(app, cases, seconds);
    for (const [i, c] of cases.entries()) {
      const r = results[i];
      console.log(
        `| ${c.name} | ${r.n} | ${r.mean.toFixed(0)} | ${r.p50.toFixed(0)} | ${r.p99.toFixed(0)} | ${(r.p50 - results[0].p50).toFixed(0)} |`,
      );
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.getHttpServer().address() as { port: number }).port;
    console.log('\nloopback HTTP (autocannon, 10 connections):\n| route | req/s | p50 ms | p99 ms |\n|---|---:|---:|---:|');
    for (const c of cases) {
      const r = await overHttp(port, c, seconds);
      console.log(`| ${c.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} |`);
    }
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
