import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { installStreamingMultipart } from './streaming-multipart';

const BOUNDARY = 'modelgate-boundary';
const form = (name: string, filename: string, content: string) =>
  [
    `--${BOUNDARY}`,
    `Content-Disposition: form-data; name="${name}"; filename="${filename}"`,
    'Content-Type: application/octet-stream',
    '',
    content,
    `--${BOUNDARY}--`,
    '',
  ].join('\r\n');

describe('installStreamingMultipart', () => {
  let app: FastifyInstance;
  let keptOut: string[];

  /** The same routes on any app. */
  function routes(on: FastifyInstance): void {
    on.post('/upload', async (request) => {
      const files: { name: string; filename: string; text: string }[] = [];
      for await (const part of request.parts()) {
        if (part.type === 'file') files.push({ name: part.fieldname, filename: part.filename, text: (await part.toBuffer()).toString() });
      }
      return { files };
    });
    on.post('/save', async (request: FastifyRequest) => {
      await request.saveRequestFiles();
      return {};
    });
    on.post('/predict', async () => ({ ok: true }));
  }
  const newApp = () => new FastifyAdapter().getInstance() as unknown as FastifyInstance;

  beforeAll(async () => {
    app = newApp();
    keptOut = await installStreamingMultipart(app, { limits: { fileSize: 16, files: 1 }, throwFileSizeLimit: true });
    routes(app);
    await app.ready();
  });
  afterAll(() => app.close());

  it("keeps out exactly the plugin's disk-mode hooks (an upgrade that changes them fails here)", async () => {
    expect([...keptOut].sort()).toEqual(['onRequest', 'onResponse']);
    // Every route runs the hooks it would without the plugin (the adapter's own), none more.
    const without = newApp();
    routes(without);
    await without.ready();
    const hooks = (on: FastifyInstance) => on.printRoutes({ includeHooks: true, commonPrefix: false });
    expect(hooks(app)).toContain('/predict (POST)');
    expect(hooks(app)).toEqual(hooks(without));
    await without.close();
  });

  it('streams uploads with the limits given, through the app’s own parser and errors', async () => {
    const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    const ok = await app.inject({ method: 'POST', url: '/upload', headers, payload: form('files', 'model.json', '{"a":1}') });
    expect(ok.json()).toEqual({ files: [{ name: 'files', filename: 'model.json', text: '{"a":1}' }] });
    const big = await app.inject({ method: 'POST', url: '/upload', headers, payload: form('files', 'w.bin', 'x'.repeat(17)) });
    expect(big.statusCode).toBe(413);
    expect((app as unknown as { multipartErrors: Record<string, unknown> }).multipartErrors.RequestFileTooLargeError).toBeDefined();
  });

  it('refuses disk mode, whose saved files nothing would clean', async () => {
    const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    const res = await app.inject({ method: 'POST', url: '/save', headers, payload: form('files', 'a.bin', 'abc') });
    expect(res.statusCode).toBe(500);
    expect(res.json().message).toMatch(/saveRequestFiles is not available/);
  });
});
