import type { FieldError } from '@app/common';
import type { DatasetFile } from '../datasets/datasets.service';
import { ALREADY_CHECKED, readDataset } from '../datasets/dataset-reader';
import type { DatasetEntity } from '../datasets/entities/dataset.entity';
import { unknownClasses } from '../trainer/training-controls';
import { DEFAULTS, type Hyperparameters } from '../trainer/training-spec';
import type { CreateTrainingJobDto, HyperparametersDto } from './dto/create-training-job.dto';

/** The training controls of a request as the trainer runs them: the optimizer named, earlyStopping's minDelta filled in. */
export function resolveControls(h: HyperparametersDto): Pick<Hyperparameters, 'optimizer' | 'earlyStopping' | 'classWeight'> {
  return {
    optimizer: h.optimizer ?? DEFAULTS.optimizer,
    ...(h.earlyStopping
      ? { earlyStopping: { patience: h.earlyStopping.patience, minDelta: h.earlyStopping.minDelta ?? DEFAULTS.minDelta } }
      : {}),
    ...(h.classWeight ? { classWeight: h.classWeight === 'balanced' ? 'balanced' : { ...h.classWeight } } : {}),
  };
}

const FIELD = 'hyperparameters.classWeight';

/**
 * classWeight against the dataset (422): classification only, and a map may only name classes of
 * the target. The classes are not part of the dataset's recorded schema, so the file is read for
 * them, only when a map is given and the target is otherwise fine (`errors` says nothing about it).
 */
export async function classWeightErrors(
  dto: CreateTrainingJobDto,
  dataset: DatasetEntity,
  errors: readonly FieldError[],
  readFile: () => Promise<DatasetFile>,
): Promise<FieldError[]> {
  const classWeight = dto.hyperparameters.classWeight;
  if (classWeight === undefined) return [];
  if (dto.task !== 'classification') return [{ field: FIELD, message: 'classWeight applies to classification only' }];
  if (classWeight === 'balanced' || errors.some((e) => e.field === 'target')) return [];
  const index = dataset.columns.findIndex((c) => c.name === dto.target);
  if (index < 0) return [];
  const file = await readFile();
  const contents = await readDataset(file.data, { format: dataset.format, limits: ALREADY_CHECKED, collect: true });
  const classes = new Set<string>();
  for (const v of contents.values?.[index] ?? []) if (v !== null && v !== undefined) classes.add(String(v));
  const known = [...classes].sort();
  const listed = known.length > 20 ? `${known.slice(0, 20).join(', ')}, … (${known.length} classes)` : known.join(', ');
  return unknownClasses(classWeight, classes).map((name) => ({
    field: `${FIELD}.${name}`,
    message: `'${name}' is not a class of the target '${dto.target}' (classes: ${listed})`,
  }));
}
