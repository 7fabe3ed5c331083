import { createServer } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceRuntime, TfBackendPreference } from '@app/inference';

/**
 * The baseline ModelGate is measured against: a bare node:http server around the same model on the
 * same tfjs backend, one predict per request, no auth, validation, batching or logging.
 * argv: <artifact dir> <port> [backend]
 */
async function main(): Promise<void> {
  const [dir, port, backend = 'auto'] = process.argv.slice(2);
  const runtime = await InferenceRuntime.create(backend as TfBackendPreference);
  const files = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))] as const));
  const model = await runtime.load(files);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const { instances } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { instances: number[][] };
      model.predict(instances).then(
        (predictions) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ predictions }));
        },
        (error: unknown) => {
          res.writeHead(500);
          res.end(String(error));
        },
      );
    });
  });
  server.listen(Number(port), '127.0.0.1', () => process.send?.({ ready: true, backend: runtime.backend }));
}

void main();
