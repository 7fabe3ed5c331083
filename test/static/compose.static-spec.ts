import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const DOCKERFILE = join(ROOT, 'Dockerfile');

const haveDockerCompose = spawnSync('sh', ['-c', 'command -v docker-compose']).status === 0;

interface ComposeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `docker-compose config` (Debian's docker-compose: no Docker engine needed) in a clean
 * environment: only PATH and the variables given, and an empty env file, so a developer's shell or
 * .env cannot make it pass.
 */
function composeConfig(vars: Record<string, string>): ComposeRun {
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-compose-'));
  try {
    const envFile = join(dir, 'empty.env');
    writeFileSync(envFile, '');
    const run = spawnSync('docker-compose', ['--file', COMPOSE_FILE, '--project-directory', ROOT, '--env-file', envFile, 'config'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...vars },
      encoding: 'utf8',
    });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Service = { image?: string; environment?: Record<string, string | null> };

/**
 * The compose file as README tells a new user to run it: it starts with the variables the README
 * names, refuses to start without the required one (saying why), passes optional ones on only when
 * set (never as empty strings, which the API would reject), and runs pinned images.
 */
(haveDockerCompose || process.env.CI === 'true' ? describe : describe.skip)('docker-compose.yml', () => {
  if (!haveDockerCompose && process.env.CI !== 'true') {
    process.stderr.write('[skipped] "docker-compose.yml": docker-compose is not installed (apt-get install docker-compose).\n');
  }

  it('with an empty environment, stops with the reason JWT_SECRET is required', () => {
    const run = composeConfig({});
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('set JWT_SECRET to a random string of at least 32 characters');
  });

  it('with the variables the README names, is valid; unset optional variables are not passed as empty strings', () => {
    const run = composeConfig({ JWT_SECRET: 'x'.repeat(8) + 'abcdefghijklmnopqrstuvwxyz0123456789' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const services = (parse(run.stdout) as { services: Record<string, Service> }).services;
    for (const name of ['api', 'worker']) {
      const env = services[name].environment ?? {};
      expect(env.JWT_SECRET).toMatch(/^x{8}abc/);
      // Unset: passed through from the shell at `up` (null here), so the container has no such variable.
      for (const optional of ['ADMIN_EMAIL', 'ADMIN_PASSWORD']) expect({ [optional]: env[optional] ?? null }).toEqual({ [optional]: null });
      // No variable of ours is ever an empty string.
      expect(Object.entries(env).filter(([, v]) => v === '')).toEqual([]);
    }

    const withAdmin = composeConfig({
      JWT_SECRET: 'y'.repeat(40),
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'change-me-admin-password',
    });
    expect(withAdmin.status).toBe(0);
    const api = (parse(withAdmin.stdout) as { services: Record<string, Service> }).services.api.environment ?? {};
    expect({ email: api.ADMIN_EMAIL, password: api.ADMIN_PASSWORD }).toEqual({
      email: 'admin@example.com',
      password: 'change-me-admin-password',
    });
  });

  it('pins every image to an exact version (no latest, no bare major), and so does the Dockerfile', () => {
    const services = (parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, Service> }).services;
    const images = Object.values(services)
      .map((s) => s.image)
      .filter((i): i is string => Boolean(i) && i !== 'modelgate:local');
    expect(images.length).toBeGreaterThanOrEqual(3);
    const fromLines = [...readFileSync(DOCKERFILE, 'utf8').matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(fromLines.length).toBeGreaterThanOrEqual(1);
    for (const image of [...images, ...fromLines]) {
      const tag = image.includes('@sha256:') ? 'digest' : (image.split(':')[1] ?? '');
      // A digest, a dated release (RELEASE.2025-…), or a version with at least major.minor(.patch).
      expect({ image, pinned: tag === 'digest' || /^RELEASE\.\d{4}-/.test(tag) || /^\d+\.\d+(\.\d+)?(-|$)/.test(tag) }).toEqual({
        image,
        pinned: true,
      });
      expect(tag).not.toMatch(/latest/);
    }
  });
});
