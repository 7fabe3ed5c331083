import { DomainError } from '@app/common';

export class ModelVersionRetiredError extends DomainError {
  constructor(model: string, version: number) {
    super('gone', 'MODEL_VERSION_RETIRED', `Version ${version} of model "${model}" is retired and no longer serves predictions.`, {
      extensions: { model, version },
    });
  }
}

export class DraftVersionForbiddenError extends DomainError {
  constructor(model: string, version: number) {
    super(
      'forbidden',
      'MODEL_VERSION_DRAFT',
      `Version ${version} of model "${model}" is a draft: only ml-engineers and admins may call it.`,
    );
  }
}
