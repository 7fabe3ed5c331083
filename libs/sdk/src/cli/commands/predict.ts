import type { Command } from 'commander';
import type { PredictRequestDto } from '../../generated/types.gen';
import { UsageError } from '../exit-codes';
import { cell, json, table } from '../output';
import type { ContextFor } from '../context';
import { integer } from './parse';

export function registerPredict(program: Command, contextFor: ContextFor): void {
  program
    .command('predict <model> [rows]')
    .description(
      'Predict with the production version (or --version / --alias). Rows: a JSON array of rows ([[5.1,3.5,1.4,0.2]]), one row, ' +
        'or {"instances": [...]}; inline, @file.json, or - for stdin (also --input).',
    )
    .option('--version <n>', 'a given version', integer('--version', 1))
    .option('--alias <alias>', 'a given alias')
    .option('--input <file>', 'read the rows from this JSON file (- for stdin)')
    .option('--retry', 'retry when the server is overloaded or unavailable (429, 503 with Retry-After)')
    .action(
      async (
        model: string,
        rows: string | undefined,
        o: { version?: number; alias?: string; input?: string; retry?: boolean },
        command: Command,
      ) => {
        const ctx = contextFor(command);
        if (rows !== undefined && o.input !== undefined) throw new UsageError('give the rows as an argument or with --input, not both');
        if (o.version !== undefined && o.alias !== undefined) throw new UsageError('give --version or --alias, not both');
        const source = rows ?? (o.input === undefined ? undefined : o.input === '-' ? '-' : `@${o.input}`);
        if (source === undefined) throw new UsageError('no rows: give them as an argument, with --input <file>, or --input - for stdin');
        const instances = toInstances(await ctx.jsonArgument('rows', source));
        const client = await ctx.client();
        const answer = await client.predict(model, instances, { version: o.version, alias: o.alias, retry: o.retry === true });
        if (ctx.json) return ctx.out(json(answer));
        const labelled = Array.isArray(answer.labels);
        ctx.out(
          table(
            labelled ? ['ROW', 'LABEL', 'PREDICTION'] : ['ROW', 'PREDICTION'],
            answer.predictions.map((p, i) => (labelled ? [i, answer.labels![i], cell(p)] : [i, cell(p)])),
          ),
        );
        ctx.note(`${answer.model} version ${answer.version}`);
      },
    );
}

function toInstances(value: unknown): PredictRequestDto['instances'] {
  const rows =
    typeof value === 'object' && value !== null && !Array.isArray(value) && 'instances' in value
      ? (value as { instances: unknown }).instances
      : value;
  if (!Array.isArray(rows) || rows.length === 0) throw new UsageError('rows must be a non-empty JSON array (or {"instances": [...]})');
  // One row of numbers (or one named row) stands for itself.
  const isRow = (r: unknown) => Array.isArray(r) || (typeof r === 'object' && r !== null);
  return (rows.every(isRow) ? rows : [rows]) as PredictRequestDto['instances'];
}
