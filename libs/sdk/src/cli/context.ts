import { json } from './output';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ModelGateClient, type ModelGateClientOptions } from '../client';
import { changeProfile, configPath, type Environment, type Profile, readConfig, updateProfile, withConfigLock } from './config';
import { UsageError } from './exit-codes';

/** Where the command reads and writes: the process's streams and environment (swapped in tests). */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Environment;
  homedir: string;
}

/** Options every command takes. */
export interface GlobalOptions {
  url?: string;
  token?: string;
  apiKey?: string;
  profile?: string;
  json?: boolean;
}

/** Makes a command's context from its options and the program's. */
export type ContextFor = (command: Command) => CliContext;

/** A cached access token is reused while it has at least this long to live. */
const FRESH_FOR_MS = 60_000;

/**
 * What a command needs: the settings resolved with precedence flags > environment > profile file,
 * the client made from them, and the output streams.
 */
export class CliContext {
  constructor(
    readonly io: CliIo,
    readonly globals: GlobalOptions,
  ) {}

  get json(): boolean {
    return this.globals.json === true;
  }

  get configFile(): string {
    return configPath(this.io.env, this.io.homedir);
  }

  get profileName(): string {
    return this.globals.profile ?? this.io.env.MODELGATE_PROFILE ?? readConfig(this.configFile).defaultProfile ?? 'default';
  }

  profile(): Profile {
    return readConfig(this.configFile).profiles[this.profileName] ?? {};
  }

  /** The server URL: --url, else MODELGATE_URL, else the profile's. */
  url(): string {
    const url = this.globals.url ?? this.io.env.MODELGATE_URL ?? this.profile().url;
    if (!url) throw new UsageError('no server URL: pass --url, set MODELGATE_URL, or run `modelgate login --url <url>`');
    try {
      return new URL(url).toString().replace(/\/+$/, '');
    } catch {
      throw new UsageError(`not a URL: ${url}`);
    }
  }

  /** Credentials given on the command line or in the environment (the profile's come after, in client()). */
  explicitCredentials(): { token: string } | { apiKey: string } | undefined {
    const levels: Array<[string, string | undefined, string | undefined]> = [
      ['--token and --api-key', this.globals.token, this.globals.apiKey],
      ['MODELGATE_TOKEN and MODELGATE_API_KEY', this.io.env.MODELGATE_TOKEN, this.io.env.MODELGATE_API_KEY],
    ];
    for (const [names, token, apiKey] of levels) {
      if (token && apiKey) throw new UsageError(`${names} are both set: give one (a request carries one kind of credentials)`);
      if (apiKey) return { apiKey };
      if (token) return { token };
    }
    return undefined;
  }

  /** An anonymous client (for login). */
  anonymousClient(): ModelGateClient {
    return new ModelGateClient({ baseUrl: this.url() });
  }

  /** The client with the resolved credentials: flags, else environment, else the profile's session or key. */
  async client(): Promise<ModelGateClient> {
    const baseUrl = this.url();
    const explicit = this.explicitCredentials();
    if (explicit) return new ModelGateClient({ baseUrl, ...explicit } as ModelGateClientOptions);
    const profile = this.profile();
    if (profile.apiKey) return new ModelGateClient({ baseUrl, apiKey: profile.apiKey });
    if (!profile.refreshToken && !profile.accessToken) {
      throw new UsageError(
        `not signed in (profile "${this.profileName}"): run \`modelgate login\`, pass --token or --api-key, or set MODELGATE_TOKEN or MODELGATE_API_KEY`,
      );
    }
    const session = isFresh(profile) ? profile : await this.refreshProfileSession(baseUrl);
    const path = this.configFile;
    const name = this.profileName;
    return new ModelGateClient({
      baseUrl,
      token: session.accessToken,
      refreshToken: session.refreshToken,
      expiresAt: session.accessTokenExpiresAt ? Date.parse(session.accessTokenExpiresAt) : undefined,
      // A long command (train --follow) may refresh on its way: keep the new pair.
      onTokens: (t) =>
        updateProfile(path, name, (p) => ({
          ...p,
          accessToken: t.accessToken,
          refreshToken: t.refreshToken ?? p.refreshToken,
          accessTokenExpiresAt: t.expiresAt ? new Date(t.expiresAt).toISOString() : undefined,
        })),
    });
  }

  /** Trades the profile's refresh token for a new pair, under the profile file's lock (another command may have just done it). */
  private refreshProfileSession(baseUrl: string): Promise<Profile> {
    const path = this.configFile;
    const name = this.profileName;
    return withConfigLock(path, async () => {
      const profile = readConfig(path).profiles[name] ?? {};
      if (isFresh(profile)) return profile;
      if (!profile.refreshToken) throw new UsageError(`the session of profile "${name}" has expired: run \`modelgate login\``);
      const client = new ModelGateClient({ baseUrl, refreshToken: profile.refreshToken });
      await client.refresh();
      const tokens = client.tokens!;
      const next: Profile = {
        ...profile,
        accessToken: tokens.accessToken,
        refreshToken: tokens.refreshToken,
        accessTokenExpiresAt: tokens.expiresAt ? new Date(tokens.expiresAt).toISOString() : undefined,
      };
      changeProfile(path, name, () => next);
      return next;
    });
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  /** The command's answer: JSON with --json, else what `human` makes of it (a table, a record, a sentence). */
  print<T>(data: T, human: (data: T) => string): void {
    this.out(this.json ? json(data) : human(data));
  }

  /** Progress and notes for people: stderr, so that stdout stays the command's answer. */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** All of stdin as text. */
  async readStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }

  /** A JSON argument: inline JSON, `@file` for a file's content, or `-` for stdin. */
  async jsonArgument(what: string, value: string): Promise<unknown> {
    let text = value;
    if (value === '-') text = await this.readStdin();
    else if (value.startsWith('@')) {
      try {
        text = await readFile(value.slice(1), 'utf8');
      } catch (error) {
        throw new UsageError(`${what}: cannot read ${value.slice(1)}: ${(error as Error).message}`);
      }
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new UsageError(`${what} is not valid JSON`);
    }
  }
}

function isFresh(profile: Profile): boolean {
  return !!profile.accessToken && !!profile.accessTokenExpiresAt && Date.parse(profile.accessTokenExpiresAt) - Date.now() > FRESH_FOR_MS;
}
