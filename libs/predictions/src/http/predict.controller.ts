import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblemResponses, CurrentActor, ProblemResponse, Roles } from '@app/common';
import { ModelAliasParams, ModelNameParams, ModelVersionParams } from '@app/models';
import { PredictRequestDto, PredictResponseDto } from '../dto/predict.dto';
import { PredictionService } from '../serving/prediction.service';
import { InferenceBody, V1_PREDICT_FIELDS } from './inference-body.decorator';

export const PREDICT_HEADERS = {
  'X-Model-Version': { description: 'The version that answered', schema: { type: 'integer' } },
  'Server-Timing': {
    description:
      'queue;dur=<ms waiting for a batch>, compute;dur=<ms the batch computed>, batch;desc="rows=<rows in that batch>" (all 0 on a response-cache hit)',
    schema: { type: 'string' },
  },
  Deprecation: { description: 'On deprecated versions: @<unix seconds> (RFC 9745)', schema: { type: 'string' } },
  Sunset: { description: 'On deprecated versions: when the version retires (RFC 8594)', schema: { type: 'string' } },
  Link: { description: 'On deprecated versions: the successor (rel="successor-version")', schema: { type: 'string' } },
  'X-Cache': { description: 'hit or miss, when the model has a response cache', schema: { type: 'string' } },
};

/** What every inference route may answer besides its own 404s (shared with the v2 routes). */
export const INFERENCE_PROBLEMS: readonly ProblemResponse[] = [
  [400, 'VALIDATION_FAILED', 'MALFORMED_JSON', 'JSON_TOO_DEEP'],
  'MODEL_VERSION_RETIRED',
  [422, 'VALIDATION_FAILED', 'EMPTY_INSTANCES', 'INPUT_SHAPE_MISMATCH', 'OUTPUT_TOO_LARGE'],
  [429, 'RATE_LIMITED', 'INFERENCE_QUEUE_FULL'],
  [503, 'INFERENCE_ENGINE_FAILED', 'ARTIFACT_UNAVAILABLE', 'INFERENCE_SHUTTING_DOWN', 'DATABASE_UNAVAILABLE'],
];

const PREDICTION = 'The predictions, one per row (and `labels`, the predicted class of each row, when the version has class labels)';

@ApiTags('predictions')
@Controller({ path: 'models/:name', version: '1' })
export class PredictController {
  constructor(private readonly predictions: PredictionService) {}

  @Post('predict')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Predict with the production version (canary split applied, sticky per caller)' })
  @ApiHeader({ name: 'X-Request-Id', required: false })
  @ApiBody({ type: PredictRequestDto })
  @ApiOkResponse({ type: PredictResponseDto, headers: PREDICT_HEADERS, description: PREDICTION })
  @ApiProblemResponses(...INFERENCE_PROBLEMS, [404, 'MODEL_NOT_FOUND', 'NO_PRODUCTION_VERSION'])
  predict(@Param() { name }: ModelNameParams, @InferenceBody(V1_PREDICT_FIELDS) body: PredictRequestDto, @CurrentActor() actor: Actor) {
    return this.predictions.predictV1({ kind: 'production', model: name }, body.instances, actor);
  }

  @Post('versions/:version/predict')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Predict with a given version (drafts: ml-engineer and admin only)' })
  @ApiBody({ type: PredictRequestDto })
  @ApiOkResponse({ type: PredictResponseDto, headers: PREDICT_HEADERS, description: PREDICTION })
  @ApiProblemResponses(...INFERENCE_PROBLEMS, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], 'MODEL_VERSION_DRAFT')
  predictWithVersion(
    @Param() { name, version }: ModelVersionParams,
    @InferenceBody(V1_PREDICT_FIELDS) body: PredictRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.predictions.predictV1({ kind: 'version', model: name, version }, body.instances, actor);
  }

  @Post('aliases/:alias/predict')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Predict with the version an alias points at' })
  @ApiBody({ type: PredictRequestDto })
  @ApiOkResponse({ type: PredictResponseDto, headers: PREDICT_HEADERS, description: PREDICTION })
  @ApiProblemResponses(...INFERENCE_PROBLEMS, [404, 'MODEL_NOT_FOUND', 'MODEL_ALIAS_NOT_FOUND'], 'MODEL_VERSION_DRAFT')
  predictWithAlias(
    @Param() { name, alias }: ModelAliasParams,
    @InferenceBody(V1_PREDICT_FIELDS) body: PredictRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.predictions.predictV1({ kind: 'alias', model: name, alias }, body.instances, actor);
  }
}
