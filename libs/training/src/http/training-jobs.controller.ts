import { Body, Controller, Get, HttpCode, Param, Post, Query, Sse, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiProduces, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { CreateTrainingJobDto } from '../jobs/dto/create-training-job.dto';
import { TrainingProgressEventDto, TrainingRevokedEventDto } from '../jobs/dto/training-job-events.dto';
import { ListTrainingJobsQueryDto, TrainingJobDto, TrainingJobIdParams } from '../jobs/dto/training-job.dto';
import { TrainingJobEvents } from '../jobs/training-job-events';
import { TrainingJobsService } from '../jobs/training-jobs.service';
import { TrainingJobVisibleGuard } from './training-job-visible.guard';

@ApiTags('training jobs')
@Controller({ path: 'training-jobs', version: '1' })
export class TrainingJobsController {
  constructor(
    private readonly jobs: TrainingJobsService,
    private readonly events: TrainingJobEvents,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('ml-engineer')
  @ApiOperation({
    summary: 'Start training a dense network on a dataset',
    description:
      'Answers 202 with the queued job; it runs off the API event loop (a worker process with Redis, a worker thread without). ' +
      'On success a new version of modelName (created if missing) appears in stage staging, with source {trainingJobId, datasetId, datasetSha256}; ' +
      'it predicts on raw feature values (the standardisation learned on the training split is part of the model). ' +
      'Requests that do not fit the dataset (unknown or non-numeric features, a target unfit for the task) or the TRAINING_MAX_* limits → 422.',
  })
  @ApiAcceptedResponse({ type: TrainingJobDto, description: 'The job, queued' })
  @ApiProblemResponses(400, [422, 'VALIDATION_FAILED'])
  createTrainingJob(@Body() dto: CreateTrainingJobDto, @CurrentActor() actor: Actor) {
    return this.jobs.create(dto, actor);
  }

  @Get()
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'List training jobs, newest first (your own; admins see all)' })
  @ApiPageResponse(TrainingJobDto, 'A page of training jobs')
  @ApiProblemResponses(400)
  listTrainingJobs(@Query() query: ListTrainingJobsQueryDto, @CurrentActor() actor: Actor) {
    return this.jobs.list(query, actor);
  }

  @Get(':id')
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'Get a training job (owner or admin)' })
  @ApiOkResponse({ type: TrainingJobDto, description: 'The job, with its progress and history so far' })
  @ApiProblemResponses(400, 'TRAINING_JOB_NOT_FOUND')
  getTrainingJob(@Param() { id }: TrainingJobIdParams, @CurrentActor() actor: Actor) {
    return this.jobs.get(id, actor);
  }

  @Sse(':id/events')
  @Roles('ml-engineer')
  @UseGuards(TrainingJobVisibleGuard)
  @ApiOperation({
    summary: "Follow a training job's progress as Server-Sent Events",
    description:
      'One `progress` event per epoch (data: {epoch, epochs, attempt, loss, valLoss, accuracy|mae, valAccuracy|valMae, durationMs}), ' +
      'then one `status` event whose data is the finished job, then the stream closes. Joining late first replays the epochs done so far. ' +
      'If the caller loses access meanwhile (user disabled or deleted, password changed, role removed, API key revoked or expired), ' +
      'the stream ends with one `revoked` event (data: {status, code, detail}: 401 CREDENTIALS_REVOKED or TOKEN_REVOKED, 403 INSUFFICIENT_ROLE). ' +
      'A caller may hold SSE_MAX_STREAMS_PER_CALLER streams at once; the next one is a 429 TOO_MANY_STREAMS with Retry-After.',
  })
  @ApiProduces('text/event-stream')
  @ApiExtraModels(TrainingProgressEventDto, TrainingJobDto, TrainingRevokedEventDto)
  @ApiOkResponse({
    description:
      'A `text/event-stream`. Each event has a name (`event:`) and JSON `data` (the schema below is the `data` of an event, by name):\n\n' +
      '| event | data | when |\n|---|---|---|\n' +
      '| `progress` | TrainingProgressEventDto (`id: <attempt>.<epoch>`) | after each epoch (the epochs done so far first, when joining late) |\n' +
      '| `status` | TrainingJobDto | once, when the job has finished (succeeded, failed or cancelled); the stream then ends |\n' +
      '| `revoked` | TrainingRevokedEventDto | once, if the caller loses access while following; the stream then ends |',
    content: {
      'text/event-stream': {
        schema: {
          oneOf: [
            { $ref: getSchemaPath(TrainingProgressEventDto) },
            { $ref: getSchemaPath(TrainingJobDto) },
            { $ref: getSchemaPath(TrainingRevokedEventDto) },
          ],
        },
      },
    },
  })
  @ApiProblemResponses(400, 'TRAINING_JOB_NOT_FOUND', [429, 'TOO_MANY_STREAMS', 'RATE_LIMITED'])
  streamTrainingJobEvents(@Param() { id }: TrainingJobIdParams, @CurrentActor() actor: Actor) {
    return this.events.stream(id, actor);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @Roles('ml-engineer')
  @ApiOperation({
    summary: 'Cancel a training job',
    description:
      'A queued job is cancelled at once; a running one stops within one epoch and ends cancelled. A succeeded or failed job → 409.',
  })
  @ApiAcceptedResponse({ type: TrainingJobDto, description: 'The job: cancelled, or cancelRequested while it stops' })
  @ApiProblemResponses(400, 'TRAINING_JOB_NOT_FOUND', 'TRAINING_JOB_FINISHED')
  cancelTrainingJob(@Param() { id }: TrainingJobIdParams, @CurrentActor() actor: Actor) {
    return this.jobs.cancel(id, actor);
  }
}
