import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsOptional, IsString, ValidateBy, ValidateNested } from 'class-validator';
import { ValidationFailedError } from '../errors/domain-error';
import { createValidationPipe, flattenValidationErrors } from './validation.pipe';

describe('flattenValidationErrors', () => {
  it('flattens nested and array children into dotted field paths', () => {
    const errors = flattenValidationErrors([
      { property: 'name', constraints: { matches: 'name must match a pattern' }, children: [] },
      {
        property: 'architecture',
        children: [{ property: 'hiddenLayers', children: [{ property: '0', constraints: { min: 'must be at least 1' }, children: [] }] }],
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

describe('the global validation pipe: list sizes before per-element rules', () => {
  let perElementCalls = 0;
  const CountEach = () => ValidateBy({ name: 'countEach', validator: { validate: () => (perElementCalls++, true) } }, { each: true });

  class Inner {
    @IsArray()
    @ArrayMaxSize(3)
    @CountEach()
    values: number[];
  }

  class Outer {
    @IsArray()
    @ArrayMaxSize(10)
    @ArrayUnique()
    @IsString({ each: true })
    @CountEach()
    names: string[];

    @IsOptional()
    @ValidateNested()
    @Type(() => Inner)
    inner?: Inner;

    @IsOptional()
    @IsArray()
    @ArrayMaxSize(5, { message: 'at most $constraint1 $property' })
    @ValidateNested({ each: true })
    @Type(() => Inner)
    items?: Inner[];
  }

  const pipe = createValidationPipe();
  const run = async (body: unknown): Promise<ValidationFailedError> => {
    try {
      await pipe.transform(body, { type: 'body', metatype: Outer });
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationFailedError);
      return error as ValidationFailedError;
    }
    throw new Error('expected a validation failure');
  };

  beforeEach(() => (perElementCalls = 0));

  it('refuses an oversized list with its size error alone, without running any per-element rule', async () => {
    const error = await run({ names: Array.from({ length: 100_000 }, () => 1) });
    expect(error.errors).toEqual([{ field: 'names', message: 'names must contain no more than 10 elements' }]);
    expect(perElementCalls).toBe(0);
  });

  it('checks nested DTOs and lists of them the same way, with their own messages', async () => {
    const nested = await run({ names: ['a'], inner: { values: [1, 2, 3, 4] } });
    expect(nested.errors).toEqual([{ field: 'inner.values', message: 'values must contain no more than 3 elements' }]);
    const list = await run({ names: ['a'], items: Array.from({ length: 6 }, () => ({ values: [] })) });
    expect(list.errors).toEqual([{ field: 'items', message: 'at most 5 items' }]);
    const inList = await run({ names: ['a'], items: [{ values: [] }, { values: [1, 2, 3, 4, 5] }] });
    expect(inList.errors).toEqual([{ field: 'items[1].values', message: 'values must contain no more than 3 elements' }]);
    expect(perElementCalls).toBe(0);
  });

  it('validates lists within their caps as before', async () => {
    const error = await run({ names: ['a', 'a', 2] });
    expect(error.errors!.map((e) => e.field)).toEqual(['names', 'names']);
    expect(perElementCalls).toBe(3);
    await expect(pipe.transform({ names: ['a', 'b'], inner: { values: [1] } }, { type: 'body', metatype: Outer })).resolves.toBeInstanceOf(
      Outer,
    );
  });
});
