import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker, WorkerOptions } from 'node:worker_threads';

/**
 * Starts `<name>.js` beside `fromDir` in a worker thread. From a build the compiled file runs; from
 * TypeScript sources (Jest, or a process started with `-r @swc-node/register`) there is no .js
 * and a thread does not inherit the parent's module hooks, so the thread starts from a bootstrap
 * that registers @swc-node/register (with the repo's tsconfig, so @app/* paths resolve) and then
 * requires `<name>.ts`. Same code, same protocol.
 */
export function spawnThread(fromDir: string, name: string, options: WorkerOptions): Worker {
  const compiled = join(fromDir, `${name}.js`);
  if (existsSync(compiled)) return new Worker(compiled, options);
  const source = join(fromDir, `${name}.ts`);
  // Only a process running from its TypeScript sources gets here (a build always has the .js). The
  // dev-only loader is resolved inside the thread, so built code never references it.
  if (!existsSync(source)) throw new Error(`The thread file ${compiled} is missing: rebuild with npm run build.`);
  const bootstrap = [
    `process.env.SWC_NODE_PROJECT = ${JSON.stringify(findTsconfig(fromDir))};`,
    `require(require.resolve('@swc-node/register', { paths: [${JSON.stringify(fromDir)}] }));`,
    `require(${JSON.stringify(source)});`,
  ].join('\n');
  return new Worker(bootstrap, { ...options, eval: true });
}

function findTsconfig(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`No tsconfig.json above ${from} to run a thread from sources.`);
  }
}
