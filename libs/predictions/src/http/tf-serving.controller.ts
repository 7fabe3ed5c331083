import { Controller, Get, HttpCode, Param, Post, UseFilters } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblemResponses, CurrentActor, ProblemResponse, Roles } from '@app/common';
import { ModelAliasParams, ModelNameParams, ModelVersionParams } from '@app/models';
import {
  TF_SERVING_EXTRA_MODELS,
  TfClassifyResponseDto,
  TfExamplesRequestDto,
  TfMetadataResponseDto,
  TfPredictRequestDto,
  TfPredictResponseDto,
  TfRegressResponseDto,
} from '../dto/tf-serving.dto';
import { TfServingErrorFilter } from '../tf-serving/tf-serving-error.filter';
import { TfServingService } from '../tf-serving/tf-serving.service';
import { InferenceBody, TF_EXAMPLES_FIELDS, TF_PREDICT_FIELDS } from './inference-body.decorator';
import { INFERENCE_PROBLEMS, PREDICT_HEADERS } from './predict.controller';

/** v1's problems, with TF Serving's mapping: input that does not fit the model is an invalid argument (400). */
const TF_PROBLEMS: readonly ProblemResponse[] = [
  [400, 'VALIDATION_FAILED', 'MALFORMED_JSON', 'JSON_TOO_DEEP', 'EMPTY_INSTANCES', 'INPUT_SHAPE_MISMATCH', 'OUTPUT_TOO_LARGE'],
  ...INFERENCE_PROBLEMS.filter((p) => !Array.isArray(p) || (p[0] !== 400 && p[0] !== 422)),
];
const PRODUCTION_404 = [404, 'MODEL_NOT_FOUND', 'NO_PRODUCTION_VERSION'] as const;
const VERSION_404 = [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'] as const;
const ALIAS_404 = [404, 'MODEL_NOT_FOUND', 'MODEL_ALIAS_NOT_FOUND'] as const;

const PREDICTED = 'Row format: `predictions`; columnar format: `outputs`';
const CLASSIFIED = 'Every class of each example, as [label, score]';
const REGRESSED = 'One value per example';

/**
 * TensorFlow Serving's REST API on the same port (a literal colon is `::` in a Fastify path), so
 * that a TF Serving client only changes its host. Every error also carries TF Serving's `error`.
 */
@ApiTags('predictions')
@ApiExtraModels(...TF_SERVING_EXTRA_MODELS)
@UseFilters(TfServingErrorFilter)
@Controller({ path: 'models', version: '1' })
export class TfServingController {
  constructor(private readonly tf: TfServingService) {}

  @Post(':name::predict')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving predict with the production version (canary split applied)' })
  @ApiBody({ type: TfPredictRequestDto })
  @ApiOkResponse({ type: TfPredictResponseDto, headers: PREDICT_HEADERS, description: PREDICTED })
  @ApiProblemResponses(...TF_PROBLEMS, [...PRODUCTION_404])
  tfPredict(@Param() { name }: ModelNameParams, @InferenceBody(TF_PREDICT_FIELDS) body: TfPredictRequestDto, @CurrentActor() actor: Actor) {
    return this.tf.predict({ kind: 'production', model: name }, body as Record<string, unknown>, actor);
  }

  @Post(':name/versions/:version::predict')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving predict with a given version (drafts: ml-engineer and admin only)' })
  @ApiBody({ type: TfPredictRequestDto })
  @ApiOkResponse({ type: TfPredictResponseDto, headers: PREDICT_HEADERS, description: PREDICTED })
  @ApiProblemResponses(...TF_PROBLEMS, [...VERSION_404], 'MODEL_VERSION_DRAFT')
  tfPredictWithVersion(
    @Param() { name, version }: ModelVersionParams,
    @InferenceBody(TF_PREDICT_FIELDS) body: TfPredictRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.predict({ kind: 'version', model: name, version }, body as Record<string, unknown>, actor);
  }

  @Post(':name/labels/:alias::predict')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving predict with the version a label (alias) points at' })
  @ApiBody({ type: TfPredictRequestDto })
  @ApiOkResponse({ type: TfPredictResponseDto, headers: PREDICT_HEADERS, description: PREDICTED })
  @ApiProblemResponses(...TF_PROBLEMS, [...ALIAS_404], 'MODEL_VERSION_DRAFT')
  tfPredictWithLabel(
    @Param() { name, alias }: ModelAliasParams,
    @InferenceBody(TF_PREDICT_FIELDS) body: TfPredictRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.predict({ kind: 'alias', model: name, alias }, body as Record<string, unknown>, actor);
  }

  @Post(':name::classify')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving classify with the production version (versions with named features)' })
  @ApiBody({ type: TfExamplesRequestDto })
  @ApiOkResponse({ type: TfClassifyResponseDto, headers: PREDICT_HEADERS, description: CLASSIFIED })
  @ApiProblemResponses(...TF_PROBLEMS, [...PRODUCTION_404])
  tfClassify(
    @Param() { name }: ModelNameParams,
    @InferenceBody(TF_EXAMPLES_FIELDS) body: TfExamplesRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.classify({ kind: 'production', model: name }, body as unknown as Record<string, unknown>, actor);
  }

  @Post(':name/versions/:version::classify')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving classify with a given version' })
  @ApiBody({ type: TfExamplesRequestDto })
  @ApiOkResponse({ type: TfClassifyResponseDto, headers: PREDICT_HEADERS, description: CLASSIFIED })
  @ApiProblemResponses(...TF_PROBLEMS, [...VERSION_404], 'MODEL_VERSION_DRAFT')
  tfClassifyWithVersion(
    @Param() { name, version }: ModelVersionParams,
    @InferenceBody(TF_EXAMPLES_FIELDS) body: TfExamplesRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.classify({ kind: 'version', model: name, version }, body as unknown as Record<string, unknown>, actor);
  }

  @Post(':name/labels/:alias::classify')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving classify with the version a label (alias) points at' })
  @ApiBody({ type: TfExamplesRequestDto })
  @ApiOkResponse({ type: TfClassifyResponseDto, headers: PREDICT_HEADERS, description: CLASSIFIED })
  @ApiProblemResponses(...TF_PROBLEMS, [...ALIAS_404], 'MODEL_VERSION_DRAFT')
  tfClassifyWithLabel(
    @Param() { name, alias }: ModelAliasParams,
    @InferenceBody(TF_EXAMPLES_FIELDS) body: TfExamplesRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.classify({ kind: 'alias', model: name, alias }, body as unknown as Record<string, unknown>, actor);
  }

  @Post(':name::regress')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving regress with the production version (versions with named features)' })
  @ApiBody({ type: TfExamplesRequestDto })
  @ApiOkResponse({ type: TfRegressResponseDto, headers: PREDICT_HEADERS, description: REGRESSED })
  @ApiProblemResponses(...TF_PROBLEMS, [...PRODUCTION_404])
  tfRegress(
    @Param() { name }: ModelNameParams,
    @InferenceBody(TF_EXAMPLES_FIELDS) body: TfExamplesRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.regress({ kind: 'production', model: name }, body as unknown as Record<string, unknown>, actor);
  }

  @Post(':name/versions/:version::regress')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving regress with a given version' })
  @ApiBody({ type: TfExamplesRequestDto })
  @ApiOkResponse({ type: TfRegressResponseDto, headers: PREDICT_HEADERS, description: REGRESSED })
  @ApiProblemResponses(...TF_PROBLEMS, [...VERSION_404], 'MODEL_VERSION_DRAFT')
  tfRegressWithVersion(
    @Param() { name, version }: ModelVersionParams,
    @InferenceBody(TF_EXAMPLES_FIELDS) body: TfExamplesRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.regress({ kind: 'version', model: name, version }, body as unknown as Record<string, unknown>, actor);
  }

  @Post(':name/labels/:alias::regress')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving regress with the version a label (alias) points at' })
  @ApiBody({ type: TfExamplesRequestDto })
  @ApiOkResponse({ type: TfRegressResponseDto, headers: PREDICT_HEADERS, description: REGRESSED })
  @ApiProblemResponses(...TF_PROBLEMS, [...ALIAS_404], 'MODEL_VERSION_DRAFT')
  tfRegressWithLabel(
    @Param() { name, alias }: ModelAliasParams,
    @InferenceBody(TF_EXAMPLES_FIELDS) body: TfExamplesRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.tf.regress({ kind: 'alias', model: name, alias }, body as unknown as Record<string, unknown>, actor);
  }

  @Get(':name/metadata')
  @Roles('consumer')
  @ApiOperation({ summary: "TF Serving model metadata (the production version's signature)" })
  @ApiOkResponse({ type: TfMetadataResponseDto, description: 'GetModelMetadataResponse, as TF Serving writes it' })
  @ApiProblemResponses(400, [...PRODUCTION_404], 'MODEL_VERSION_RETIRED')
  tfMetadata(@Param() { name }: ModelNameParams, @CurrentActor() actor: Actor) {
    return this.tf.metadata({ kind: 'production', model: name }, actor);
  }

  @Get(':name/versions/:version/metadata')
  @Roles('consumer')
  @ApiOperation({ summary: 'TF Serving model version metadata' })
  @ApiOkResponse({ type: TfMetadataResponseDto, description: 'GetModelMetadataResponse, as TF Serving writes it' })
  @ApiProblemResponses(400, [...VERSION_404], 'MODEL_VERSION_RETIRED', 'MODEL_VERSION_DRAFT')
  tfVersionMetadata(@Param() { name, version }: ModelVersionParams, @CurrentActor() actor: Actor) {
    return this.tf.metadata({ kind: 'version', model: name, version }, actor);
  }
}
