import type { ModelEntity } from '../entities/model.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import { toModelDto, toVersionDto } from './views';

const NOW = new Date('2030-01-01T00:00:00Z');
const model = { id: 'm', name: 'iris', lastVersion: 2, tags: [], createdAt: NOW, updatedAt: NOW } as unknown as ModelEntity;
const version = (n: number, stage: ModelVersionEntity['stage'], sunsetAt: Date | null = null) =>
  ({ version: n, stage, sunsetAt, deprecatedAt: sunsetAt, inputs: [], outputs: [], createdAt: NOW }) as unknown as ModelVersionEntity;

describe('model_version_status in the views', () => {
  it('judges a deprecated version past its sunset as retired: END on the version, off the model', () => {
    const expired = version(1, 'deprecated', new Date('2029-12-31T00:00:00Z'));
    const current = version(2, 'deprecated', new Date('2030-02-01T00:00:00Z'));
    expect(toModelDto(model, null, [expired, current], NOW).model_version_status.map((s) => s.version)).toEqual(['2']);
    expect(toVersionDto('iris', expired, null, NOW).model_version_status).toEqual([
      { version: '1', state: 'END', status: { error_code: 'OK', error_message: '' } },
    ]);
    expect(toVersionDto('iris', current, null, NOW).model_version_status[0].state).toBe('AVAILABLE');
  });
});
