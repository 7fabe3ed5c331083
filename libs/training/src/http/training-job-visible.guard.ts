import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Caller, isUuid } from '@app/common';
import { TrainingJobsService } from '../jobs/training-jobs.service';

/**
 * For the event stream: a job the caller may not see must be a 404 problem, and an SSE response
 * commits its 200 headers as soon as the handler's promise is pending past a tick (global
 * interceptors wrap it in an Observable), so the lookup has to happen before the handler, here.
 * A malformed id is left to the validation pipe (400).
 */
@Injectable()
export class TrainingJobVisibleGuard implements CanActivate {
  constructor(private readonly jobs: TrainingJobsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<{ params: { id?: string }; caller?: Caller; id: string; ip: string }>();
    const id = req.params.id;
    if (req.caller && id && isUuid(id)) await this.jobs.visible(id, { caller: req.caller, requestId: String(req.id), ip: req.ip });
    return true;
  }
}
