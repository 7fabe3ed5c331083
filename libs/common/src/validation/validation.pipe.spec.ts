import { flattenValidationErrors } from './validation.pipe';

describe('flattenValidationErrors', () => {
  it('flattens nested and array children into dotted field paths', () => {
    const errors = flattenValidationErrors([
      { property: 'name', constraints: { matches: 'name must match a pattern' }, children: [] },
      {
        property: 'architecture',
        children: [
          { property: 'hiddenLayers', children: [{ property: '0', constraints: { min: 'must be at least 1' }, children: [] }] },
        ],
      },
      { property: 'role', constraints: { whitelistValidation: 'property role should not exist' }, children: [] },
    ]);
    expect(errors).toEqual([
      { field: 'name', message: 'name must match a pattern' },
      { field: 'architecture.hiddenLayers[0]', message: 'must be at least 1' },
      { field: 'role', message: 'role is not an accepted field' },
    ]);
  });
});
