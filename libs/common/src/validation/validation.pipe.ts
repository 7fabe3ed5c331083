import { ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, ValidationTypes, ValidatorOptions } from 'class-validator';
import { FieldError, ValidationFailedError } from '../errors/domain-error';

/** Flattens class-validator's tree into `[{field: "a.b[0].c", message}]`. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      // class-validator reports unknown fields as "property x should not exist"; say it plainly.
      message: message.replace(/^property (\S+) should not exist$/, '$1 is not an accepted field'),
    }));
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

const ARRAY_MAX_SIZE = 'arrayMaxSize';
/** Nested DTOs deeper than this are not looked into (JSON bodies are capped at JSON_MAX_DEPTH anyway). */
const MAX_NESTING = 32;

/**
 * The `@ArrayMaxSize` caps of a DTO instance and of its nested DTOs (`@ValidateNested`), checked
 * before class-validator runs: it applies every rule of a property even when its size rule failed,
 * so `@IsString({ each: true })` and `@ArrayUnique()` (quadratic) would first walk a 100,000-element
 * list that is refused anyway. Returns the size errors only, as class-validator would word them.
 */
export function oversizedArrays(object: object, depth = 0): ValidationError[] {
  const target = (object as { constructor?: unknown }).constructor;
  if (typeof target !== 'function' || target === Object || depth > MAX_NESTING) return [];
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(target, '', false, false);
  const values = object as Record<string, unknown>;
  const errors: ValidationError[] = [];
  const failed = new Set<string>();
  for (const meta of metadatas) {
    if (meta.name !== ARRAY_MAX_SIZE || meta.each || failed.has(meta.propertyName)) continue;
    const value = values[meta.propertyName];
    const max = Number(meta.constraints?.[0]);
    if (!Array.isArray(value) || !(value.length > max)) continue;
    const message =
      typeof meta.message === 'string'
        ? meta.message.replace(/\$property/g, meta.propertyName).replace(/\$constraint1/g, String(max))
        : `${meta.propertyName} must contain no more than ${max} elements`;
    errors.push({ property: meta.propertyName, constraints: { [ARRAY_MAX_SIZE]: message }, children: [] });
    failed.add(meta.propertyName);
  }
  for (const meta of metadatas) {
    if (meta.type !== ValidationTypes.NESTED_VALIDATION || failed.has(meta.propertyName)) continue;
    const value = values[meta.propertyName];
    const items = Array.isArray(value) ? value : [value];
    const children = items.flatMap((item, i) => {
      if (typeof item !== 'object' || item === null) return [];
      const nested = oversizedArrays(item as object, depth + 1);
      if (!nested.length || !Array.isArray(value)) return nested;
      return [{ property: String(i), children: nested }];
    });
    if (children.length) {
      errors.push({ property: meta.propertyName, children });
      failed.add(meta.propertyName);
    }
  }
  return errors;
}

/** The global pipe's class: list sizes are checked before any per-element rule (see {@link oversizedArrays}). */
class BoundedValidationPipe extends ValidationPipe {
  protected override validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> | ValidationError[] {
    const oversized = oversizedArrays(object);
    return oversized.length ? oversized : super.validate(object, validatorOptions);
  }
}

/** Global pipe: unknown fields are rejected (never silently dropped), types are transformed. */
export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}
