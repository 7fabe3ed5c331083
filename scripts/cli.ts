import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { AuditModule } from '@app/audit';
import { AuthModule, UsersService } from '@app/auth';
import { Actor, ClusterModule, ConfigModule, createRootLogger, LoggingModule, MetricsModule, Role, ROLES } from '@app/common';
import { API_CONFIG_SLICES, type ApiConfig, loadApiConfig } from '../apps/api/src/api-config';
import { claimEmbeddedDatabase, DatabaseModule, EmbeddedDatabaseInUseError } from '@app/database';

const USAGE = `usage:
  npm run cli -- create-user --email <email> --role <${ROLES.join('|')}> [--password-stdin]
  npm run cli -- reset-password --email <email> [--password-stdin]

Without --password-stdin a strong password is generated and printed once (--password-stdin reads
the first line of stdin). reset-password ends the user's sessions and refuses every token issued
before. Reads DATABASE_URL etc. from the environment (or .env) like the API does. On the embedded
database (no DATABASE_URL) the API must be stopped first: one process at a time may open it.`;

/** What to do instead when the API holds the embedded database. */
const WHILE_THE_API_RUNS = `While the API runs, manage users through it with an admin's token instead:
  POST  /v1/users       {"email": "…", "password": "…", "roles": ["admin"]}   (create a user)
  PATCH /v1/users/{id}  {"password": "…"}                                      (reset a password)`;

/** Just what user management needs: no HTTP server, no models, no inference. */
@Module({})
class CliModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(API_CONFIG_SLICES, config),
        LoggingModule.forRoot(createRootLogger({ level: 'warn', pretty: false })),
        // RedisConnections and the degraded-dependency registry the auth module's rate limits use.
        ClusterModule,
        MetricsModule,
        DatabaseModule.forRoot({ migrate: true }),
        // AuthModule schedules its API key usage flush (ScheduledJobs needs the registry).
        ScheduleModule.forRoot(),
        AuditModule,
        AuthModule,
      ],
    };
  }
}

export interface CliResult {
  exitCode: number;
  output: string;
}

/** The password a command sets: generated (and shown once), or the first line of stdin. */
async function passwordFrom(
  fromStdin: boolean | undefined,
  readStdin: () => Promise<string>,
): Promise<{ password: string; generated: boolean }> {
  if (!fromStdin) return { password: randomBytes(18).toString('base64url'), generated: true };
  return { password: (await readStdin()).split(/\r?\n/)[0], generated: false };
}

/** `create-user`: separated from process concerns so tests run it against a test app's service. */
export async function createUserCommand(
  users: Pick<UsersService, 'create'>,
  argv: string[],
  readStdin: () => Promise<string>,
): Promise<CliResult> {
  let values: { email?: string; role?: string; 'password-stdin'?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { email: { type: 'string' }, role: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    return { exitCode: 2, output: `${(error as Error).message}\n${USAGE}` };
  }
  if (!values.email || !values.role || !(ROLES as readonly string[]).includes(values.role)) {
    return { exitCode: 2, output: USAGE };
  }
  const { password, generated } = await passwordFrom(values['password-stdin'], readStdin);
  if (password.length < 12) return { exitCode: 2, output: 'The password must have at least 12 characters.' };
  try {
    const user = await users.create({ email: values.email, password, roles: [values.role as Role] }, null, 'cli');
    return {
      exitCode: 0,
      output: `created ${user.roles.join(',')} user ${user.email} (${user.id})` + (generated ? `\npassword (shown once): ${password}` : ''),
    };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === 'USER_EMAIL_TAKEN' || (error as Error).name === 'ValidationFailedError')
      return { exitCode: 1, output: String(e.message) };
    throw error;
  }
}

/**
 * `reset-password`: a new password for an existing user (generated and shown once, or from stdin).
 * Through UsersService.update, as an admin's PATCH /v1/users/{id} would: the credential version
 * moves on (every access token issued before is refused), every refresh token is revoked, and the
 * audit trail records it, with the system as the actor.
 */
export async function resetPasswordCommand(
  users: Pick<UsersService, 'findByEmail' | 'update'>,
  argv: string[],
  readStdin: () => Promise<string>,
): Promise<CliResult> {
  let values: { email?: string; 'password-stdin'?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { email: { type: 'string' }, 'password-stdin': { type: 'boolean' } }, strict: true }));
  } catch (error) {
    return { exitCode: 2, output: `${(error as Error).message}\n${USAGE}` };
  }
  if (!values.email) return { exitCode: 2, output: USAGE };
  const user = await users.findByEmail(values.email);
  if (!user) return { exitCode: 1, output: `No user has the email ${values.email}.` };
  const { password, generated } = await passwordFrom(values['password-stdin'], readStdin);
  if (password.length < 12) return { exitCode: 2, output: 'The password must have at least 12 characters.' };
  // The shell has no caller: the audit trail records a null actor as the system.
  await users.update(user.id, { password }, null as unknown as Actor);
  return {
    exitCode: 0,
    output:
      `reset the password of ${user.email} (${user.id}); its sessions and earlier tokens no longer work` +
      (generated ? `\npassword (shown once): ${password}` : ''),
  };
}

const COMMANDS: Record<string, (users: UsersService, argv: string[], readStdin: () => Promise<string>) => Promise<CliResult>> = {
  'create-user': createUserCommand,
  'reset-password': resetPasswordCommand,
};

function readAllStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => (data += chunk));
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', reject);
  });
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const run = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(USAGE);
    return 2;
  }
  const config = loadApiConfig();
  let app;
  try {
    claimEmbeddedDatabase(config.database);
    // No Nest log: the start-up hints meant for the API's log (no admin yet…) would only confuse here, and
    // every error reaches main(), which prints it.
    app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: false, abortOnError: false });
  } catch (error) {
    if (error instanceof EmbeddedDatabaseInUseError) {
      console.error(`${error.message}\n\n${WHILE_THE_API_RUNS}`);
      return 1;
    }
    throw error;
  }
  try {
    const result = await run(app.get(UsersService), rest, readAllStdin);
    (result.exitCode === 0 ? console.log : console.error)(result.output);
    return result.exitCode;
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
