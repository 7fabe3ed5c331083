import { DomainError, NotFoundError } from '@app/common';

export class WebhookNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('WEBHOOK_NOT_FOUND', `Webhook ${id} does not exist.`);
  }
}

/** The URL is not http(s), or its host is not in WEBHOOK_ALLOWED_HOSTS. */
export class WebhookDestinationNotAllowedError extends DomainError {
  constructor(message: string) {
    super('unprocessable', 'WEBHOOK_DESTINATION_NOT_ALLOWED', message);
  }
}
