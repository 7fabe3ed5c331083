import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { ModelGateClient } from '../../client';
import type { CreateTrainingJobDto, TrainingJobDto } from '../../generated/types.gen';
import type { TrainingProgress } from '../../training-events';
import type { CliContext, ContextFor } from '../context';
import { EXIT, ExitCode, UsageError } from '../exit-codes';
import { cell, json, record } from '../output';

import { choice, decimal, integer, integers, list } from './parse';

const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'linear'] as const;
const OPTIMIZERS = ['adam', 'sgd', 'rmsprop'] as const;

interface TrainOptions {
  dataset?: string;
  model?: string;
  task?: CreateTrainingJobDto['task'];
  features?: string[];
  target?: string;
  hidden?: number[];
  activation?: (typeof ACTIVATIONS)[number];
  dropout?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  validationSplit?: number;
  seed?: number;
  optimizer?: (typeof OPTIMIZERS)[number];
  earlyStopping?: number;
  classWeight?: 'balanced';
  missingIndicator?: boolean;
  maxCategories?: number;
  spec?: string;
  follow?: boolean;
}

export function registerTraining(program: Command, contextFor: ContextFor): void {
  const datasets = program.command('datasets').description('Training data');

  datasets
    .command('upload <file>')
    .description('Upload a CSV (with a header line) or JSON-lines file')
    .option('--name <name>', "the dataset's name (default: the file's)")
    .action(async (file: string, o: { name?: string }, command: Command) => {
      const ctx = contextFor(command);
      const dataset = await (await ctx.client()).datasets.upload(file, { name: o.name });
      ctx.print(dataset, () =>
        record([
          ['id', dataset.id],
          ['name', dataset.name],
          ['format', dataset.format],
          ['rows', dataset.rows],
          ['columns', dataset.columns.map((c) => `${c.name} (${c.type}${c.missing ? `, ${c.missing} missing` : ''})`)],
          ['sha256', dataset.sha256],
        ]),
      );
    });

  program
    .command('train')
    .description(
      'Train a dense network on a dataset; the job registers a new staging version of the model. ' +
        'With --follow: a progress bar per epoch, then the metrics (exit 7 if the job fails or is cancelled).',
    )
    .option('--dataset <id>', 'the dataset id (datasets upload)')
    .option('--model <name>', 'register the trained version under this model (created if missing)')
    .option('--task <task>', 'classification or regression', choice(['classification', 'regression'] as const), 'classification')
    .option('--features <columns>', 'input columns, comma-separated, in order', list)
    .option('--target <column>', 'the column to predict')
    .option('--hidden <units>', 'hidden layer sizes, comma-separated', integers('--hidden'), [16])
    .option('--activation <name>', `hidden activation (${ACTIVATIONS.join(', ')})`, choice(ACTIVATIONS))
    .option('--dropout <rate>', 'dropout rate after each hidden layer', decimal('--dropout'))
    .option('--epochs <n>', 'epochs', integer('--epochs', 1), 20)
    .option('--batch-size <n>', 'batch size', integer('--batch-size', 1))
    .option('--learning-rate <rate>', 'learning rate', decimal('--learning-rate'))
    .option('--validation-split <share>', 'share of rows held out for validation', decimal('--validation-split'))
    .option('--seed <n>', 'makes the run reproducible', integer('--seed'))
    .option('--optimizer <name>', `optimizer (${OPTIMIZERS.join(', ')}; sgd has momentum 0.9)`, choice(OPTIMIZERS))
    .option(
      '--early-stopping <patience>',
      'stop once the validation loss has not improved for this many epochs (best weights kept)',
      integer('--early-stopping', 1),
    )
    .option('--class-weight <balanced>', 'weigh classes inversely to their frequency (classification)', choice(['balanced'] as const))
    .option('--missing-indicator', 'numeric features with empty cells also get a 0/1 "was missing" input')
    .option('--max-categories <n>', 'values kept per text or boolean feature (the rest share one slot)', integer('--max-categories', 1))
    .option('--spec <json>', 'the whole job request as JSON (or @file.json); the options above override it')
    .option('--follow', 'follow the job until it ends: progress, then its metrics')
    .action(async (o: TrainOptions, command: Command) => {
      const ctx = contextFor(command);
      const request = await jobRequest(ctx, o, command);
      const client = await ctx.client();
      const job = await client.trainingJobs.create(request);
      if (!o.follow) {
        if (ctx.json) return ctx.out(json(job));
        ctx.out(`Training job ${job.id} is ${job.status}.\n`);
        ctx.note(`Follow it with: modelgate train --follow ... or GET /v1/training-jobs/${job.id}/events`);
        return;
      }
      ctx.note(`Training job ${job.id} (${job.modelName}) is ${job.status}.`);
      const finished = await follow(ctx, client, job);
      if (ctx.json) ctx.out(json(finished));
      else ctx.out(summary(finished));
      if (finished.status !== 'succeeded') throw new ExitCode(EXIT.JOB_FAILED);
    });
}

/** The job request: --spec, then every option given on the command line (defaults only fill what the spec lacks). */
async function jobRequest(ctx: CliContext, o: TrainOptions, command: Command): Promise<CreateTrainingJobDto> {
  const spec = (o.spec === undefined ? {} : await ctx.jsonArgument('--spec', o.spec)) as Partial<CreateTrainingJobDto>;
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new UsageError('--spec must be a JSON object');
  const given = (name: keyof TrainOptions) =>
    o[name] !== undefined && (command.getOptionValueSource(name) !== 'default' || o.spec === undefined);
  const pick = <K extends keyof TrainOptions>(name: K, fallback: unknown) => (given(name) ? o[name] : fallback);
  const request: CreateTrainingJobDto = {
    ...spec,
    datasetId: (pick('dataset', spec.datasetId) as string) ?? '',
    modelName: (pick('model', spec.modelName) as string) ?? '',
    task: (pick('task', spec.task) as CreateTrainingJobDto['task']) ?? 'classification',
    features: (pick('features', spec.features) as string[]) ?? [],
    target: (pick('target', spec.target) as string) ?? '',
    architecture: {
      ...spec.architecture,
      hiddenLayers: (pick('hidden', spec.architecture?.hiddenLayers) as number[]) ?? [16],
      ...(given('activation') ? { activation: o.activation } : {}),
      ...(given('dropout') ? { dropout: o.dropout } : {}),
    },
    hyperparameters: {
      ...spec.hyperparameters,
      epochs: (pick('epochs', spec.hyperparameters?.epochs) as number) ?? 20,
      ...(given('batchSize') ? { batchSize: o.batchSize } : {}),
      ...(given('learningRate') ? { learningRate: o.learningRate } : {}),
      ...(given('validationSplit') ? { validationSplit: o.validationSplit } : {}),
      ...(given('seed') ? { seed: o.seed } : {}),
      ...(given('optimizer') ? { optimizer: o.optimizer } : {}),
      ...(given('earlyStopping') ? { earlyStopping: { patience: o.earlyStopping! } } : {}),
      ...(given('classWeight') ? { classWeight: o.classWeight } : {}),
      ...(given('missingIndicator') ? { missingIndicator: true } : {}),
      ...(given('maxCategories') ? { maxCategories: o.maxCategories } : {}),
    },
  };
  const missing = [
    ['--dataset', request.datasetId],
    ['--model', request.modelName],
    ['--features', request.features.length ? 'ok' : ''],
    ['--target', request.target],
  ].filter(([, v]) => !v);
  if (missing.length) throw new UsageError(`train needs ${missing.map(([n]) => n).join(', ')} (or the same in --spec)`);
  return request;
}

/** Follows the job's events: a progress bar on a terminal (a line per epoch otherwise), until its final status. */
async function follow(ctx: CliContext, client: ModelGateClient, job: TrainingJobDto): Promise<TrainingJobDto> {
  const tty = ctx.io.stderr.isTTY === true && !ctx.json;
  let bar: SingleBar | undefined;
  const payload = (p: TrainingProgress) => ({ metrics: epochMetrics(p) });
  try {
    for await (const event of client.trainingEvents(job.id)) {
      if (event.type === 'status') return event.data;
      const p = event.data;
      if (tty) {
        if (!bar) {
          bar = new SingleBar(
            { format: 'epoch {value}/{total} {bar} {percentage}% | {metrics}', stream: ctx.io.stderr, hideCursor: true, etaBuffer: 5 },
            Presets.shades_classic,
          );
          bar.start(p.epochs, 0, payload(p));
        }
        bar.update(p.epoch, payload(p));
      } else {
        ctx.note(`epoch ${p.epoch}/${p.epochs}${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}: ${epochMetrics(p)}`);
      }
    }
  } finally {
    bar?.stop();
  }
  // The stream ended without a status (it does not, but a poll costs nothing).
  return client.trainingJobs.get(job.id);
}

function epochMetrics(p: TrainingProgress): string {
  const names: Array<[keyof TrainingProgress, string]> = [
    ['loss', 'loss'],
    ['valLoss', 'val_loss'],
    ['accuracy', 'acc'],
    ['valAccuracy', 'val_acc'],
    ['mae', 'mae'],
    ['valMae', 'val_mae'],
  ];
  return names
    .filter(([k]) => typeof p[k] === 'number')
    .map(([k, label]) => `${label} ${(p[k] as number).toFixed(4)}`)
    .join('  ');
}

function summary(job: TrainingJobDto): string {
  const lines: string[] = [];
  if (job.status === 'succeeded') lines.push(`Job ${job.id} succeeded: ${job.modelName} version ${job.modelVersion} is in staging.`);
  else lines.push(`Job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}.`);
  const metrics = Object.entries(job.metrics ?? {}).filter(([, v]) => typeof v !== 'object' || v === null);
  return lines.join('\n') + '\n' + (metrics.length ? record(metrics.map(([k, v]) => [k, cell(v)])) : '');
}
