import { DomainError, NotFoundError } from '@app/common';

export class DatasetNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('DATASET_NOT_FOUND', `Dataset ${id} does not exist.`);
  }
}

export class DatasetTooLargeError extends DomainError {
  constructor(maxBytes: number) {
    super('payload-too-large', 'DATASET_TOO_LARGE', `The dataset file is larger than ${maxBytes} bytes (MAX_DATASET_BYTES).`, {
      extensions: { maxBytes },
    });
  }
}

export class DatasetInUseError extends DomainError {
  constructor(id: string, jobs: string[]) {
    super(
      'conflict',
      'DATASET_IN_USE',
      `Dataset ${id} is used by unfinished training jobs (${jobs.join(', ')}); cancel them or let them finish first.`,
      {
        extensions: { trainingJobs: jobs },
      },
    );
  }
}
