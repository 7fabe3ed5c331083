#!/usr/bin/env node
// Runs one of scripts/*.ts (`npm run cli -- …`, `npm run migration:run`) without rebuilding every time:
//   1. the build, dist/scripts/<name>.js, when it is newer than every source file it is built from;
//   2. otherwise the TypeScript sources through @swc-node/register (a dev dependency), like the
//      tests and `start:dev` do: seconds, not a full `nest build`;
//   3. otherwise (a production install without dev dependencies and a stale build) it builds first.
// Usage: node scripts/launch.mjs <name> [args…]   (arguments, stdin, stdout and the exit code pass through)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['apps', 'libs', 'scripts'];
const CONFIG_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

const [name, ...args] = process.argv.slice(2);
if (!name || !/^[\w-]+$/.test(name)) {
  console.error('usage: node scripts/launch.mjs <script name in scripts/> [args…]');
  process.exit(2);
}
const compiled = join(ROOT, 'dist', 'scripts', `${name}.js`);
const source = join(ROOT, 'scripts', `${name}.ts`);

/** Newest modification time of the files the build is made from (0 when there are no sources, as in an image). */
function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') visit(path);
      } else if (entry.name.endsWith('.ts') && !/\.(int-)?spec\.ts$/.test(entry.name)) {
        newest = Math.max(newest, statSync(path).mtimeMs);
      }
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(ROOT, dir))) visit(join(ROOT, dir));
  for (const file of CONFIG_FILES)
    if (existsSync(join(ROOT, file)) && newest > 0) newest = Math.max(newest, statSync(join(ROOT, file)).mtimeMs);
  return newest;
}

/** The dev-only TypeScript loader's path (resolved from this repo, whatever the working directory), if installed. */
function devLoader() {
  try {
    return createRequire(join(ROOT, 'package.json')).resolve('@swc-node/register');
  } catch {
    return undefined;
  }
}

function run(nodeArgs, env = process.env) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: process.cwd(), env, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const buildIsCurrent = existsSync(compiled) && statSync(compiled).mtimeMs >= newestSource();
if (buildIsCurrent) {
  run([compiled]);
} else if (existsSync(source) && devLoader()) {
  run(['-r', devLoader(), source], { ...process.env, SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json') });
} else {
  console.error(`${compiled} is missing or older than the sources: building (npm run build)…`);
  // The build's output goes to stderr: stdout stays the script's own (a generated password, say).
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) process.exit(build.status ?? 1);
  run([compiled]);
}
