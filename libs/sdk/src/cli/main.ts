#!/usr/bin/env node
import { homedir } from 'node:os';
import { run } from './program';

/** The `modelgate` executable: the process's streams and environment, and its exit code. */
run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  // The command's configuration is its environment (MODELGATE_*, XDG_CONFIG_HOME), by design.
  // eslint-disable-next-line no-restricted-properties
  env: process.env,
  homedir: homedir(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
