import { Command, CommanderError, Option } from 'commander';
import { isModelGateError } from '../errors';
import { SDK_VERSION } from '../version';
import { registerAdmin } from './commands/admin';
import { registerAuth } from './commands/auth';
import { registerPredict } from './commands/predict';
import { registerRegistry } from './commands/registry';
import { registerTraining } from './commands/training';
import { CliContext, type CliIo, type ContextFor, type GlobalOptions } from './context';
import { EXIT, EXIT_CODES_HELP, ExitCode, exitCodeFor, UsageError } from './exit-codes';
import { json } from './output';

const CONFIGURATION_HELP = `
Configuration (flags > environment > profile file):
  server URL     --url, MODELGATE_URL, the profile's url
  credentials    --token or --api-key, MODELGATE_TOKEN or MODELGATE_API_KEY, the profile's session or key
  profile        --profile, MODELGATE_PROFILE, the file's defaultProfile, "default"
  profile file   $XDG_CONFIG_HOME/modelgate/config.json (else ~/.config/modelgate/config.json), mode 0600;
                 \`modelgate login\` writes it (never printing a secret)`;

/** The `modelgate` command, writing to `io` (its commands call process.exit never: run() returns the exit code). */
export function createProgram(io: CliIo): Command {
  const program = new Command('modelgate');
  program
    .description('ModelGate from the command line: register, version, train and serve TensorFlow.js models.')
    // Only -V here: `--version <n>` is predict's; `modelgate --version` alone is answered in run().
    .version(SDK_VERSION, '-V', 'output the version number (also --version, before any command)')
    .addOption(new Option('--url <url>', 'the API server, e.g. https://modelgate.example.com'))
    .addOption(new Option('--token <token>', 'a bearer access token'))
    .addOption(new Option('--api-key <key>', "a service account's API key"))
    .addOption(new Option('--profile <name>', 'the profile to use in the profile file'))
    .addOption(new Option('--json', 'machine output: the answer as JSON on stdout (errors as JSON on stderr)'))
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `${CONFIGURATION_HELP}\n${EXIT_CODES_HELP}\n`)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  const contextFor: ContextFor = (command) => new CliContext(io, command.optsWithGlobals<GlobalOptions>());
  registerAuth(program, contextFor);
  registerRegistry(program, contextFor);
  registerPredict(program, contextFor);
  registerTraining(program, contextFor);
  registerAdmin(program, contextFor);
  return program;
}

/** Runs the command line `argv` (without node and the script) and returns the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    io.stdout.write(`${SDK_VERSION}\n`);
    return EXIT.OK;
  }
  const program = createProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; commander has already written its message.
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return EXIT.OK;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT.FAILURE;
      return EXIT.USAGE;
    }
    if (error instanceof ExitCode) return error.code;
    report(io, program.opts<GlobalOptions>().json === true, error);
    return exitCodeFor(error);
  }
}

/** Problem members printed in the first line (or not for people); any other (reason, line, allowedTargets...) is listed. */
const STANDARD_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId', 'errors', 'error']);

/** Writes a failure to stderr: the problem's code and detail (and field errors), or the problem document as JSON with --json. */
function report(io: CliIo, asJson: boolean, error: unknown): void {
  if (isModelGateError(error)) {
    if (asJson) {
      io.stderr.write(json({ error: error.toJSON() }));
      return;
    }
    const lines = [`error: ${error.code}${error.status ? ` (${error.status})` : ''}: ${error.detail}`];
    for (const e of error.errors ?? []) lines.push(`  - ${e.field}: ${e.message}`);
    for (const [name, value] of Object.entries(error.problem)) {
      if (!STANDARD_MEMBERS.has(name) && value !== undefined)
        lines.push(`  ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
    if (error.status === 401) lines.push('hint: check the credentials, or sign in again with `modelgate login`');
    if (error.requestId) lines.push(`request id: ${error.requestId}`);
    io.stderr.write(lines.join('\n') + '\n');
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof UsageError ? 'USAGE' : 'FAILURE';
  if (asJson) io.stderr.write(json({ error: { code, detail: message } }));
  else io.stderr.write(`error: ${message}\n`);
}
