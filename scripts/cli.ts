import { DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { AuditModule } from '@app/audit';
import { AuthModule, UsersService } from '@app/auth';
import { ConfigModule, createRootLogger, LoggingModule, MetricsModule, Role, ROLES } from '@app/common';
import { API_CONFIG_SLICES, type ApiConfig, loadApiConfig } from '../apps/api/src/api-config';
import { DatabaseModule } from '@app/database';

const USAGE = `usage:
  npm run cli -- create-user --email <email> --role <${ROLES.join('|')}> [--password-stdin]

Without --password-stdin a strong password is generated and printed once. Reads DATABASE_URL etc.
from the environment (or .env) like the API does.`;

/** Just what user management needs: no HTTP server, no models, no inference. */
@Module({})
class CliModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(API_CONFIG_SLICES, config),
        LoggingModule.forRoot(createRootLogger({ level: 'warn', pretty: false })),
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
  const generated = !values['password-stdin'];
  const password = generated ? randomBytes(18).toString('base64url') : (await readStdin()).split(/\r?\n/)[0];
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
  if (command !== 'create-user') {
    console.error(USAGE);
    return 2;
  }
  const config = loadApiConfig();
  const app = await NestFactory.createApplicationContext(CliModule.forRoot(config), { logger: ['error', 'warn'] });
  try {
    const result = await createUserCommand(app.get(UsersService), rest, readAllStdin);
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
