import { type Command, InvalidArgumentError } from 'commander';
import type { CreateApiKeyDto, GetUsageData } from '../../generated/types.gen';
import { json, record, table } from '../output';
import type { ContextFor } from '../context';
import { choice } from './parse';

const ROLES = ['consumer', 'ml-engineer', 'admin'] as const;

export function registerAdmin(program: Command, contextFor: ContextFor): void {
  const keys = program.command('keys').description('Service accounts: API keys and OAuth2 client credentials (admin)');

  keys
    .command('create')
    .description('Create a service account; its key and client secret are shown this once')
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--role <role>', `the role it acts with (${ROLES.join(', ')})`, choice(ROLES))
    .option('--expires-at <date>', 'when it stops working (ISO 8601)', isoDate)
    .action(async (o: { name: string; role: CreateApiKeyDto['role']; expiresAt?: string }, command: Command) => {
      const ctx = contextFor(command);
      const created = await (await ctx.client()).apiKeys.create({ name: o.name, role: o.role, expiresAt: o.expiresAt });
      ctx.print(created, () =>
        record([
          ['id', created.id],
          ['name', created.name],
          ['role', created.role],
          ['key', created.key],
          ['client id', created.clientId],
          ['client secret', created.clientSecret],
          ['expires', created.expiresAt],
        ]),
      );
      ctx.note('The key and the client secret are shown only now: store them in your secret manager.');
    });

  keys
    .command('ls')
    .alias('list')
    .description('List service accounts (never their secrets)')
    .option('--all', 'include revoked keys')
    .action(async (o: { all?: boolean }, command: Command) => {
      const ctx = contextFor(command);
      const page = await (await ctx.client()).apiKeys.list({ includeRevoked: o.all === true ? true : undefined, limit: 100 });
      ctx.print(page, () =>
        table(
          ['ID', 'NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'EXPIRES', 'REVOKED'],
          page.items.map((k) => [k.id, k.name, k.role, k.keyPrefix, k.createdAt, k.lastUsedAt, k.expiresAt, k.revokedAt]),
        ),
      );
    });

  keys
    .command('revoke <id>')
    .description('Revoke a key: the next request with it, or with a token obtained from it, is refused')
    .action(async (id: string, _o: unknown, command: Command) => {
      const ctx = contextFor(command);
      await (await ctx.client()).apiKeys.revoke(id);
      if (ctx.json) return ctx.out(json({ id, revoked: true }));
      ctx.out(`Revoked key ${id}.\n`);
    });

  program
    .command('usage')
    .description('Requests, rows, errors and latencies per model, version or caller (admin)')
    .option('--from <date>', 'inclusive start (ISO 8601; default: 30 days before --to)', isoDate)
    .option('--to <date>', 'exclusive end (ISO 8601; default: now)', isoDate)
    .option('--group-by <key>', 'model, version or caller', choice(['model', 'version', 'caller'] as const), 'model')
    .action(async (o: { from?: string; to?: string; groupBy: NonNullable<GetUsageData['query']>['groupBy'] }, command: Command) => {
      const ctx = contextFor(command);
      const report = await (await ctx.client()).usage({ from: o.from, to: o.to, groupBy: o.groupBy });
      ctx.print(report, () =>
        table(
          [String(o.groupBy).toUpperCase(), 'REQUESTS', 'ROWS', 'ERRORS', 'P50 MS', 'P95 MS', 'COMPUTE MS'],
          report.items.map((r) => [r.key, r.requests, r.rows, r.errors, r.p50Ms, r.p95Ms, r.computeMs]),
        ),
      );
    });
}

function isoDate(value: string): string {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`not a date: ${value} (use ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z).`);
  return new Date(t).toISOString();
}
