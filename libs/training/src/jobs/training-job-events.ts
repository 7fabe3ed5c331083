import { Inject, Injectable, MessageEvent } from '@nestjs/common';
import { defer, Observable, switchMap } from 'rxjs';
import { Actor, CallerStreams, HeldStreamRules } from '@app/common';
import { canAccess } from '../access';
import { TRAINING_EVENT_BUS, TrainingEvent, TrainingEventBus } from '../events/training-events';
import type { EpochRecord } from '../trainer/training-spec';
import { TrainingJobDto } from './dto/training-job.dto';
import { FINISHED_STATUSES, TrainingJobEntity } from './entities/training-job.entity';
import { TrainingJobsRepository } from './training-jobs.repository';
import { TrainingJobsService } from './training-jobs.service';
import { toJobDto } from './views';

/** How often an open stream re-reads its job, in case a `status` event was lost (a publisher that died between commit and publish). */
const SAFETY_CHECK_MS = 5_000;

/**
 * GET /v1/training-jobs/{id}/events: one `progress` event per epoch, then one `status` event (the
 * finished job), then the stream ends. A client that joins late first gets the epochs done so far
 * (from the job's history), then the live ones from the event bus: the subscription starts before
 * the history is read, and epochs are de-duplicated, so none is lost or repeated at the seam. When
 * a dead worker's job is retried, the new attempt's epochs follow (they carry `attempt`).
 *
 * The stream is held by CallerStreams: it counts against the caller's open streams, and ends with
 * a `revoked` event once the caller may no longer follow it (credentials revoked, or roles that no
 * longer reach ml-engineer, or admin for someone else's job).
 */
@Injectable()
export class TrainingJobEvents {
  constructor(
    private readonly rows: TrainingJobsRepository,
    private readonly jobs: TrainingJobsService,
    @Inject(TRAINING_EVENT_BUS) private readonly bus: TrainingEventBus,
    private readonly streams: CallerStreams,
  ) {}

  /**
   * Returned at once (nothing awaited): the caller's stream slot is taken when the response
   * subscribes, before any header is sent, so too many streams are still a plain 429 answer.
   */
  stream(id: string, actor: Actor): Observable<MessageEvent> {
    let ownerId: string | undefined;
    const rules: HeldStreamRules = {
      // The route's @Roles, and the job's own rule (owner or admin), with the caller's current roles.
      role: 'ml-engineer',
      allowed: (caller) => ownerId === undefined || canAccess({ ...actor, caller }, ownerId),
    };
    const events = defer(() => this.jobs.visible(id, actor)).pipe(
      switchMap((job) => {
        ownerId = job.ownerId;
        return this.events(id);
      }),
    );
    return this.streams.hold(actor, rules, events);
  }

  private events(id: string): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      let attempt = 0;
      let lastEpoch = 0;
      let done = false;
      let live = false;
      const pending: TrainingEvent[] = [];

      const progress = (jobAttempt: number, epochs: number, record: EpochRecord) => {
        if (done || jobAttempt < attempt) return;
        if (jobAttempt > attempt) {
          attempt = jobAttempt;
          lastEpoch = 0;
        }
        if (record.epoch <= lastEpoch) return;
        lastEpoch = record.epoch;
        subscriber.next({ type: 'progress', id: `${attempt}.${record.epoch}`, data: { ...record, epochs, attempt } });
      };
      const finish = (job: TrainingJobDto) => {
        if (done) return;
        done = true;
        subscriber.next({ type: 'status', data: job });
        subscriber.complete();
      };
      const catchUp = (job: TrainingJobEntity) => {
        for (const record of job.history) progress(job.attempts, job.epochs, record);
        if (FINISHED_STATUSES.includes(job.status)) finish(toJobDto(job));
      };
      const handle = (event: TrainingEvent) => {
        if (event.jobId !== id || done) return;
        if (!live) {
          pending.push(event);
        } else if (event.type === 'progress') {
          progress(event.attempt, event.epochs, event.record);
        } else if (event.type === 'status') {
          finish(event.job);
        }
      };
      const read = () => this.rows.getById(id);

      const unsubscribe = this.bus.subscribe(handle);
      read()
        .then((job) => {
          catchUp(job);
          live = true;
          for (const event of pending.splice(0)) handle(event);
        })
        .catch((error: unknown) => subscriber.error(error));
      const safety = setInterval(() => {
        if (live && !done) void read().then(catchUp, () => undefined);
      }, SAFETY_CHECK_MS);
      return () => {
        unsubscribe();
        clearInterval(safety);
      };
    });
  }
}
