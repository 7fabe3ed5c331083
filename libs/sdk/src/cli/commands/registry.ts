import type { Command } from 'commander';
import type { ModelDto, ModelVersionDto, TransitionVersionDto } from '../../generated/types.gen';
import { UsageError } from '../exit-codes';
import { bytes, cell, json, record, table } from '../output';
import type { ContextFor } from '../context';
import { integer, list, STAGES, stage } from './parse';

export function registerRegistry(program: Command, contextFor: ContextFor): void {
  const models = program.command('models').description('Registered models');

  models
    .command('ls')
    .alias('list')
    .description('List models')
    .option('--tag <tag>', 'only models with this tag')
    .option('--task <task>', 'only models of this task')
    .option('-q, --search <text>', 'search in names and descriptions')
    .option('--limit <n>', 'at most this many (1-100)', integer('--limit'))
    .option('--offset <n>', 'skip this many', integer('--offset'))
    .action(async (o: { tag?: string; task?: string; search?: string; limit?: number; offset?: number }, command: Command) => {
      const ctx = contextFor(command);
      const client = await ctx.client();
      const page = await client.models.list({ tag: o.tag, task: o.task, q: o.search, limit: o.limit, offset: o.offset });
      ctx.print(page, () =>
        table(
          ['NAME', 'TASK', 'PRODUCTION', 'LATEST', 'TAGS', 'UPDATED'],
          page.items.map((m) => [m.name, m.task, m.productionVersion, m.latestVersion, m.tags, m.updatedAt]),
        ),
      );
      ctx.note(`${page.items.length} of ${page.page.total} models`);
    });

  models
    .command('create <name>')
    .description('Register a model')
    .option('--description <text>', 'what it is for')
    .option('--task <task>', 'e.g. classification, regression')
    .option('--tag <tag...>', 'tags (repeatable)')
    .action(async (name: string, o: { description?: string; task?: string; tag?: string[] }, command: Command) => {
      const ctx = contextFor(command);
      const model = await (await ctx.client()).models.create({ name, description: o.description, task: o.task, tags: o.tag });
      ctx.print(model, modelRecord);
    });

  models
    .command('get <name>')
    .description('Show a model')
    .action(async (name: string, _o: unknown, command: Command) => {
      const ctx = contextFor(command);
      const model = await (await ctx.client()).models.get(name);
      ctx.print(model, modelRecord);
    });

  const versions = program.command('versions').description("A model's versions");

  versions
    .command('ls <model>')
    .alias('list')
    .description("List a model's versions, newest first")
    .option('--stage <stage>', `only versions in this stage (${STAGES.join(', ')})`, stage)
    .option('--limit <n>', 'at most this many (1-100)', integer('--limit'))
    .option('--offset <n>', 'skip this many', integer('--offset'))
    .action(async (model: string, o: { stage?: ModelVersionDto['stage']; limit?: number; offset?: number }, command: Command) => {
      const ctx = contextFor(command);
      const page = await (await ctx.client()).versions.list(model, { stage: o.stage, limit: o.limit, offset: o.offset });
      ctx.print(page, () =>
        table(
          ['VERSION', 'STAGE', 'FRAMEWORK', 'SIZE', 'CREATED', 'BY'],
          page.items.map((v) => [v.version, v.stage, v.framework, bytes(v.sizeBytes), v.createdAt, v.createdBy]),
        ),
      );
      ctx.note(`${page.items.length} of ${page.page.total} versions`);
    });

  versions
    .command('upload <model> <paths...>')
    .description('Upload a new draft version: model.json and its weight files (or their directory), or one .zip / .tar.gz archive')
    .option('--description <text>', 'what changed')
    .option('--labels <labels>', 'class names in output order: a,b,c or a JSON array, or @file.json')
    .option('--metrics <json>', 'metrics as a JSON object, or @file.json')
    .option('--params <json>', 'training parameters as a JSON object, or @file.json')
    .action(
      async (
        model: string,
        paths: string[],
        o: { description?: string; labels?: string; metrics?: string; params?: string },
        command: Command,
      ) => {
        const ctx = contextFor(command);
        const labels = o.labels === undefined ? undefined : await labelList(ctx.jsonArgument.bind(ctx), o.labels);
        const metrics = o.metrics === undefined ? undefined : objectArgument('--metrics', await ctx.jsonArgument('--metrics', o.metrics));
        const params = o.params === undefined ? undefined : objectArgument('--params', await ctx.jsonArgument('--params', o.params));
        const client = await ctx.client();
        const version = await client.versions.upload(model, { paths }, { description: o.description, labels, metrics, params });
        if (ctx.json) return ctx.out(json(version));
        ctx.out(versionRecord(version));
        ctx.note(`Uploaded ${version.model} version ${version.version} (${version.stage}).`);
      },
    );

  versions
    .command('get <model> <version>')
    .description('Show a version')
    .action(async (model: string, version: string, _o: unknown, command: Command) => {
      const ctx = contextFor(command);
      const v = await (await ctx.client()).versions.get(model, integer('version')(version));
      ctx.print(v, versionRecord);
    });

  versions
    .command('promote <model> <version>')
    .description('Move a version to another stage (default: production; draft goes to staging first)')
    .option('--to <stage>', `the target stage (${STAGES.join(', ')})`, stage, 'production')
    .option('--reason <text>', 'why (kept in the history and the audit log)')
    .option('--force', "admins: promote although its signature differs from production's (audited)")
    .action(
      async (model: string, version: string, o: { to: TransitionVersionDto['to']; reason?: string; force?: boolean }, command: Command) => {
        const ctx = contextFor(command);
        const client = await ctx.client();
        const v = await client.versions.promote(model, integer('version')(version), { to: o.to, reason: o.reason, force: o.force });
        // 202: the model requires approval; the move waits for an approver's decision.
        ctx.print(v, () =>
          'stage' in v
            ? `${v.model} version ${v.version} is now ${v.stage}.\n`
            : `${v.model} version ${v.version}: promotion request ${v.id} is ${v.status}, waiting for an approver.\n`,
        );
      },
    );
}

function modelRecord(m: ModelDto): string {
  return record([
    ['name', m.name],
    ['task', m.task],
    ['description', m.description],
    ['tags', m.tags],
    ['production version', m.productionVersion],
    ['latest version', m.latestVersion],
    ['created', m.createdAt],
    ['updated', m.updatedAt],
  ]);
}

function versionRecord(v: ModelVersionDto): string {
  const tensors = (specs: ModelVersionDto['inputs']) => specs.map((t) => `${t.name} ${t.datatype} [${t.shape.join(', ')}]`).join('; ');
  return record([
    ['model', v.model],
    ['version', v.version],
    ['stage', v.stage],
    ['framework', v.framework],
    ['inputs', tensors(v.inputs)],
    ['outputs', tensors(v.outputs)],
    ['labels', v.labels],
    ['metrics', Object.keys(v.metrics ?? {}).length ? v.metrics : null],
    ['size', bytes(v.sizeBytes)],
    ['sha256', v.sha256],
    ['created', `${cell(v.createdAt)} by ${cell(v.createdBy)}`],
    ...(v.deprecatedAt ? ([['deprecated', v.deprecatedAt]] as Array<[string, unknown]>) : []),
    ...(v.sunsetAt ? ([['sunset', v.sunsetAt]] as Array<[string, unknown]>) : []),
    ...(v.successorVersion ? ([['successor', v.successorVersion]] as Array<[string, unknown]>) : []),
    ...(v.source ? ([['source', v.source]] as Array<[string, unknown]>) : []),
  ]);
}

async function labelList(readJson: (what: string, value: string) => Promise<unknown>, value: string): Promise<string[]> {
  if (value.startsWith('[') || value.startsWith('@') || value === '-') {
    const parsed = await readJson('--labels', value);
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string'))
      throw new UsageError('--labels must be a JSON array of strings');
    return parsed;
  }
  return list(value);
}

function objectArgument(what: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}
