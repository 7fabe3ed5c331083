import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { ModelGateClient } from '../../client';
import type { CliContext, ContextFor } from '../context';
import { updateProfile, withConfigLock, changeProfile } from '../config';
import { UsageError } from '../exit-codes';
import { json } from '../output';

export function registerAuth(program: Command, contextFor: ContextFor): void {
  program
    .command('login')
    .description(
      'Sign in and save the session in the profile (URL, refresh token; never printed). ' +
        'With --api-key (or MODELGATE_API_KEY, or --api-key-stdin) the key is checked and saved instead.',
    )
    .option('--email <email>', "the user's email (default: the profile's, else asked)")
    .option('--password-stdin', 'read the password from stdin (else it is asked for, without echo)')
    .option('--api-key-stdin', "read a service account's API key from stdin and save it in the profile")
    .action(async (options: { email?: string; passwordStdin?: boolean; apiKeyStdin?: boolean }, command: Command) => {
      const ctx = contextFor(command);
      const url = ctx.url();
      if (ctx.globals.token || ctx.io.env.MODELGATE_TOKEN) {
        throw new UsageError('login takes an email and password, or an API key: a bearer token is used as it is, without login');
      }
      const apiKey = options.apiKeyStdin ? (await ctx.readStdin()).trim() : (ctx.globals.apiKey ?? ctx.io.env.MODELGATE_API_KEY);
      if (options.apiKeyStdin && !apiKey) throw new UsageError('no API key on stdin');
      if (apiKey) {
        const me = await new ModelGateClient({ baseUrl: url, apiKey }).me();
        await updateProfile(ctx.configFile, ctx.profileName, () => ({ url, apiKey }));
        return done(ctx, url, me);
      }

      const email = options.email ?? ctx.profile().email ?? (await ask(ctx, 'Email: '));
      const password = options.passwordStdin ? (await ctx.readStdin()).replace(/\r?\n$/, '') : await askHidden(ctx, 'Password: ');
      if (!email || !password) throw new UsageError('an email and a password are needed');
      const client = new ModelGateClient({ baseUrl: url });
      const pair = await client.login(email, password);
      const me = await client.me();
      await withConfigLock(ctx.configFile, () =>
        changeProfile(ctx.configFile, ctx.profileName, () => ({
          url,
          email,
          refreshToken: pair.refreshToken,
          accessToken: pair.accessToken,
          accessTokenExpiresAt: new Date(Date.now() + pair.expiresIn * 1000).toISOString(),
        })),
      );
      done(ctx, url, me);
    });

  program
    .command('logout')
    .description("End the profile's session (the refresh token is revoked) and remove its credentials from the profile")
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(command);
      const profile = ctx.profile();
      if (profile.refreshToken && profile.url) {
        await new ModelGateClient({ baseUrl: profile.url, refreshToken: profile.refreshToken }).logout();
      }
      await updateProfile(ctx.configFile, ctx.profileName, (p) => ({ url: p.url, email: p.email }));
      if (ctx.json) ctx.out(json({ profile: ctx.profileName, signedOut: true }));
      else ctx.out(`Signed out (profile "${ctx.profileName}").\n`);
    });
}

function done(ctx: CliContext, url: string, me: { id: string; kind: string; email: string | null; name?: string; roles: string[] }): void {
  const who = me.email ?? me.name ?? me.id;
  if (ctx.json) {
    ctx.out(
      json({
        profile: ctx.profileName,
        configFile: ctx.configFile,
        url,
        caller: { id: me.id, kind: me.kind, email: me.email, name: me.name, roles: me.roles },
      }),
    );
  } else {
    ctx.out(`Signed in to ${url} as ${who} (${me.roles.join(', ')}).\nProfile "${ctx.profileName}" saved in ${ctx.configFile}.\n`);
  }
}

async function ask(ctx: CliContext, question: string): Promise<string> {
  if (!ctx.io.stdin.isTTY) throw new UsageError('--email is needed when stdin is not a terminal');
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

/** Reads a line from the terminal without echoing it. */
function askHidden(ctx: CliContext, question: string): Promise<string> {
  const stdin = ctx.io.stdin as NodeJS.ReadStream;
  if (!stdin.isTTY || typeof stdin.setRawMode !== 'function') {
    return Promise.reject(new UsageError('no terminal to ask for the password: pipe it with --password-stdin'));
  }
  ctx.io.stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      ctx.io.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          return resolve(value);
        }
        if (ch === '\u0003') {
          finish();
          return reject(new UsageError('cancelled'));
        }
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.on('data', onData);
  });
}
