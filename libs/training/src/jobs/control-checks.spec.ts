import type { DatasetFile } from '../datasets/datasets.service';
import type { DatasetEntity } from '../datasets/entities/dataset.entity';
import { classWeightErrors, resolveControls } from './control-checks';
import type { CreateTrainingJobDto } from './dto/create-training-job.dto';

const dataset = {
  id: 'd',
  format: 'csv',
  columns: [
    { name: 'x', type: 'number' },
    { name: 'label', type: 'string', distinct: 2 },
  ],
} as DatasetEntity;
const file = (): Promise<DatasetFile> => Promise.resolve({ dataset, data: Buffer.from('x,label\n1,cat\n2,dog\n3,cat\n') });
const request = (hyperparameters: Partial<CreateTrainingJobDto['hyperparameters']>, task = 'classification'): CreateTrainingJobDto =>
  ({
    modelName: 'm',
    datasetId: 'd',
    task,
    features: ['x'],
    target: 'label',
    architecture: { hiddenLayers: [] },
    hyperparameters: { epochs: 3, ...hyperparameters },
  }) as CreateTrainingJobDto;

describe('resolveControls', () => {
  it('names the optimizer (adam by default) and fills in minDelta; leaves out the controls not asked for', () => {
    expect(resolveControls({ epochs: 1 })).toEqual({ optimizer: 'adam' });
    expect(resolveControls({ epochs: 1, optimizer: 'sgd', earlyStopping: { patience: 3 }, classWeight: 'balanced' })).toEqual({
      optimizer: 'sgd',
      earlyStopping: { patience: 3, minDelta: 0 },
      classWeight: 'balanced',
    });
    expect(resolveControls({ epochs: 1, earlyStopping: { patience: 1, minDelta: 0.1 }, classWeight: { cat: 2 } })).toMatchObject({
      earlyStopping: { patience: 1, minDelta: 0.1 },
      classWeight: { cat: 2 },
    });
  });
});

describe('classWeightErrors', () => {
  it('accepts no classWeight, balanced, and a map of known classes, reading the file for a map only', async () => {
    let reads = 0;
    const counted = () => (reads++, file());
    expect(await classWeightErrors(request({}), dataset, [], counted)).toEqual([]);
    expect(await classWeightErrors(request({ classWeight: 'balanced' }), dataset, [], counted)).toEqual([]);
    expect(reads).toBe(0);
    expect(await classWeightErrors(request({ classWeight: { dog: 3 } }), dataset, [], counted)).toEqual([]);
    expect(reads).toBe(1);
  });

  it('names each class the map gives that the target does not have, with the classes it has', async () => {
    expect(await classWeightErrors(request({ classWeight: { dog: 3, cow: 2, Cat: 1 } }), dataset, [], file)).toEqual([
      { field: 'hyperparameters.classWeight.cow', message: "'cow' is not a class of the target 'label' (classes: cat, dog)" },
      { field: 'hyperparameters.classWeight.Cat', message: "'Cat' is not a class of the target 'label' (classes: cat, dog)" },
    ]);
  });

  it('refuses classWeight for a regression, and leaves a target already refused alone', async () => {
    expect(await classWeightErrors(request({ classWeight: 'balanced' }, 'regression'), dataset, [], file)).toEqual([
      { field: 'hyperparameters.classWeight', message: 'classWeight applies to classification only' },
    ]);
    const refused = [{ field: 'target', message: 'no such column' }];
    const unread = () => Promise.reject(new Error('not read'));
    expect(await classWeightErrors(request({ classWeight: { cow: 1 } }), dataset, refused, unread)).toEqual([]);
  });
});
