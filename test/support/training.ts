import { readArchive } from '@app/models';
import type { TrainingJobDto } from '@app/training';
import { authHeader } from './auth';
import { readFixtureCsv } from './fixtures';
import { multipart } from './multipart';
import type { TestApp } from './test-app';

/** Helpers for suites that drive datasets and training jobs over HTTP. */

export const BLOBS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

export interface SseEvent {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** Rows of a generated CSV as text, header first. */
export function csvText(header: string[], rows: string[][]): Buffer {
  return Buffer.from([header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
}

/** The blobs fixture split in two: rows the job may see, and held-out rows it never sees. */
export function blobsSplit(heldOut: number): { training: Buffer; heldOut: { x: number[][]; y: string[] } } {
  const { header, rows } = readFixtureCsv('blobs');
  const train = rows.slice(0, rows.length - heldOut);
  const test = rows.slice(rows.length - heldOut);
  return {
    training: csvText(header, train),
    heldOut: { x: test.map((r) => r.slice(0, 4).map(Number)), y: test.map((r) => r[4]) },
  };
}

export async function uploadDataset(t: TestApp, token: string, data: Buffer, name = 'blobs', filename = 'data.csv') {
  const body = await multipart([{ field: 'file', filename, data, contentType: 'text/csv' }], { name });
  return t.app.inject({ method: 'POST', url: '/v1/datasets', headers: { ...authHeader(token), ...body.headers }, payload: body.payload });
}

export async function createJob(t: TestApp, token: string, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/v1/training-jobs', headers: authHeader(token), payload: body });
}

export async function getJob(t: TestApp, token: string, id: string): Promise<TrainingJobDto> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs/${id}`, headers: authHeader(token) });
  if (res.statusCode !== 200) throw new Error(`GET job ${id}: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Polls the job (the test's own view; the API itself pushes events) until the predicate holds. */
export async function waitForJob(
  t: TestApp,
  token: string,
  id: string,
  until: (job: TrainingJobDto) => boolean = (j) => ['succeeded', 'failed', 'cancelled'].includes(j.status),
  timeoutMs = 120_000,
): Promise<TrainingJobDto> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(t, token, id);
    if (until(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not reach the expected state: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Parses a text/event-stream body into its events. */
export function parseSse(body: string): SseEvent[] {
  return body
    .split(/\n\n/)
    .map((block) => block.trim())
    .filter((block) => block && !block.startsWith(':'))
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(':');
        if (i > 0)
          fields[line.slice(0, i)] = (fields[line.slice(0, i)] ? `${fields[line.slice(0, i)]}\n` : '') + line.slice(i + 1).trimStart();
      }
      return { event: fields.event ?? 'message', id: fields.id, data: JSON.parse(fields.data ?? 'null') };
    });
}

/** A registered version's files, fetched the way a client does (GET .../artifact, a .tar.gz). */
export async function downloadArtifact(t: TestApp, token: string, model: string, version: number): Promise<Map<string, Buffer>> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/models/${model}/versions/${version}/artifact`, headers: authHeader(token) });
  if (res.statusCode !== 200) throw new Error(`artifact: ${res.statusCode} ${res.body}`);
  return readArchive(res.rawPayload, { maxEntries: 100, maxTotalBytes: 100 * 1024 * 1024 });
}
