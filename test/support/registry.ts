import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authHeader } from './auth';
import { multipart, MultipartFile } from './multipart';
import type { TestApp } from './test-app';

/** Helpers for suites that drive the model registry over HTTP. */

export const FIXTURES = join(__dirname, '..', 'fixtures', 'generated');

/** A fixture model directory as `files` parts (model.json, shards, and labels.json if present). */
export function fixtureFiles(dir: string): MultipartFile[] {
  return readdirSync(join(FIXTURES, dir))
    .sort()
    .map((filename) => ({ field: 'files', filename, data: readFileSync(join(FIXTURES, dir, filename)) }));
}

export function fixtureFile(path: string): Buffer {
  return readFileSync(join(FIXTURES, path));
}

export async function createModel(t: TestApp, token: string, name: string, body: Record<string, unknown> = {}) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/models', headers: authHeader(token), payload: { name, ...body } });
  if (res.statusCode !== 201) throw new Error(`createModel ${name}: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function uploadVersion(
  t: TestApp,
  token: string,
  name: string,
  files: MultipartFile[] = fixtureFiles('classifier'),
  fields: Record<string, string> = {},
) {
  const body = await multipart(files, fields);
  return t.app.inject({
    method: 'POST',
    url: `/v1/models/${name}/versions`,
    headers: { ...authHeader(token), ...body.headers },
    payload: body.payload,
  });
}

export async function transition(t: TestApp, token: string, name: string, version: number, body: Record<string, unknown>, headers = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/v1/models/${name}/versions/${version}/transitions`,
    headers: { ...authHeader(token), ...headers },
    payload: body,
  });
}

/** Uploads a classifier version and walks it to `stage` (draft → staging → production...). */
export async function versionIn(t: TestApp, token: string, name: string, stage: 'draft' | 'staging' | 'production'): Promise<number> {
  const res = await uploadVersion(t, token, name);
  if (res.statusCode !== 201) throw new Error(`upload: ${res.statusCode} ${res.body}`);
  const version = res.json().version as number;
  for (const to of stage === 'draft' ? [] : stage === 'staging' ? ['staging'] : ['staging', 'production']) {
    const moved = await transition(t, token, name, version, { to });
    if (moved.statusCode !== 200) throw new Error(`transition to ${to}: ${moved.statusCode} ${moved.body}`);
  }
  return version;
}
