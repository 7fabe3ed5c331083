import { modelVersionStatus, versionStateOf, versionStatusOf } from './version-status';

describe('model_version_status', () => {
  it('reads every stage but retired as AVAILABLE, retired as END', () => {
    expect((['draft', 'staging', 'production', 'deprecated', 'retired'] as const).map(versionStateOf)).toEqual([
      'AVAILABLE',
      'AVAILABLE',
      'AVAILABLE',
      'AVAILABLE',
      'END',
    ]);
    expect(versionStatusOf(12, 'retired')).toEqual({ version: '12', state: 'END', status: { error_code: 'OK', error_message: '' } });
  });

  it("lists a model's staging, production and deprecated versions, newest first whatever the input order", () => {
    const listed = modelVersionStatus([
      { version: 2, stage: 'deprecated' },
      { version: 9, stage: 'retired' },
      { version: 10, stage: 'production' },
      { version: 3, stage: 'draft' },
      { version: 11, stage: 'staging' },
    ]);
    expect(listed.map((s) => [s.version, s.state])).toEqual([
      ['11', 'AVAILABLE'],
      ['10', 'AVAILABLE'],
      ['2', 'AVAILABLE'],
    ]);
  });
});
