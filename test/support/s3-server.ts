import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * A real S3-compatible server for tests: s3rver (npm) on 127.0.0.1, a random free port and a
 * temporary directory, in a child process of its own — as a separate storage service would be,
 * shared by every API process of a test. It runs with `--openssl-legacy-provider` because s3rver
 * encrypts ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 refuses otherwise
 * (a paginated listing would answer 500). Clients must use path-style URLs (`forcePathStyle`).
 * stop() ends the process and removes the directory; a test runner that dies closes the child's
 * stdin, on which the child exits too.
 */

const ROOT = join(__dirname, '..', '..');

/** s3rver's built-in credentials: requests are signed with them and their signatures checked. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

const CHILD = `
const S3rver = require('s3rver');
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIRECTORY });
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close().catch(() => undefined).finally(() => process.exit(0));
};
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { console.error(error); process.exit(1); },
);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
`;

export interface S3TestServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Where s3rver keeps the objects (removed by stop()). */
  readonly directory: string;
  /** ModelGate's environment for S3 storage on this server (the app creates the bucket at start-up). */
  env(bucket?: string, prefix?: string): Record<string, string>;
  /** A client for this server (path-style); destroy() it when done. */
  client(): S3Client;
  stop(): Promise<void>;
}

/** A bucket name of its own for a suite (3–63 lowercase letters, digits and dashes). */
export function uniqueBucket(label = 'modelgate'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export async function startS3Server(options: { startTimeoutMs?: number } = {}): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', S3RVER_DIRECTORY: directory },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    await terminate(child);
    rmSync(directory, { recursive: true, force: true });
  };

  let port: number;
  try {
    port = await waitForPort(child, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    directory,
    env: (bucket = uniqueBucket(), prefix = 'artifacts/') => ({
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: REGION,
      S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: prefix,
    }),
    client: () => new S3Client({ region: REGION, endpoint, forcePathStyle: true, credentials: { ...CREDENTIALS } }),
    stop,
  };
}

function waitForPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`s3rver did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (data: Buffer) => {
      output += data.toString();
      const line = output.split('\n').find((l) => l.startsWith('{"port":'));
      if (!line) return;
      done();
      resolve((JSON.parse(line) as { port: number }).port);
    };
    const onExit = (code: number | null) => fail(new Error(`s3rver exited (${code}) before it listened:\n${output}`));
    const done = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      // Keep draining its output so that the child never blocks on a full pipe.
      child.stdout!.resume();
    };
    const fail = (error: Error) => {
      done();
      reject(error);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (data: Buffer) => (output = (output + data.toString()).slice(-10_000)));
    child.once('exit', onExit);
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
