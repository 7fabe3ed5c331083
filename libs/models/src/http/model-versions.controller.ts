import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { ModelVersionDto, StageTransitionDto } from '../dto/model-version.dto';
import { PromotionRequestDto } from '../dto/promotion-request.dto';
import { QuantizeVersionDto } from '../dto/quantize.dto';
import { UpdateVersionDto } from '../dto/update-version.dto';
import { UPLOAD_VERSION_SCHEMA } from '../dto/upload-version.dto';
import { ListVersionsQueryDto, ModelNameParams, ModelVersionParams, TransitionVersionDto } from '../dto/version-queries.dto';
import { ArtifactUpload } from '../services/artifact-upload';
import { LifecycleService } from '../services/lifecycle.service';
import { ModelVersionsService } from '../services/model-versions.service';
import { QuantizationService } from '../services/quantization.service';
import { asTarGzAttachment } from './artifact-response';
import { EtagInterceptor } from './etag.interceptor';
import { MultipartArtifactInterceptor } from './multipart-artifact.interceptor';
import { ApiIfMatch, ETAG_HEADER } from './openapi';
import { UploadedArtifact } from './uploaded-artifact.decorator';

@ApiTags('model versions')
@Controller({ path: 'models/:name/versions', version: '1' })
export class ModelVersionsController {
  constructor(
    private readonly versions: ModelVersionsService,
    private readonly lifecycle: LifecycleService,
    private readonly quantization: QuantizationService,
  ) {}

  @Post()
  @Roles('ml-engineer')
  @UseInterceptors(MultipartArtifactInterceptor)
  @ApiOperation({
    summary: 'Upload a TensorFlow.js model as a new draft version',
    description:
      'multipart/form-data with `files` (model.json + weight shards) or one `archive` (.zip / .tar.gz). ' +
      'Optional fields: `description`, `labels` (a JSON array of class names in output order, or the names separated by commas), ' +
      '`metrics` and `params` (JSON objects). A field left empty counts as not sent, and so does an empty `files` or `archive` part ' +
      '(a file input left empty). ' +
      'The model is loaded with TensorFlow.js: one that does not load, or whose weights do not match the manifest, is refused with 422.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_VERSION_SCHEMA })
  @ApiCreatedResponse({ type: ModelVersionDto, description: 'The new version, in stage draft, with its inputs and outputs' })
  @ApiProblemResponses(
    [400, 'VALIDATION_FAILED', 'JSON_TOO_DEEP', 'MALFORMED_MULTIPART'],
    'MODEL_NOT_FOUND',
    'ARTIFACT_TOO_LARGE',
    415,
    [422, 'INVALID_MODEL_ARTIFACT', 'UNSAFE_ARCHIVE', 'TOO_MANY_FILES', 'VALIDATION_FAILED'],
    [503, 'INSPECTION_BUSY', 'DATABASE_UNAVAILABLE'],
  )
  uploadModelVersion(@Param() { name }: ModelNameParams, @UploadedArtifact() upload: ArtifactUpload, @CurrentActor() actor: Actor) {
    return this.versions.upload(name, upload, actor);
  }

  @Get()
  @Roles('consumer')
  @ApiOperation({ summary: "List a model's versions, newest first (filter by effective stage)" })
  @ApiPageResponse(ModelVersionDto, "A page of the model's versions")
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND')
  listModelVersions(@Param() { name }: ModelNameParams, @Query() query: ListVersionsQueryDto) {
    return this.versions.list(name, query);
  }

  @Get(':version')
  @Roles('consumer')
  @UseInterceptors(EtagInterceptor)
  @ApiOperation({ summary: 'Get a version' })
  @ApiOkResponse({ type: ModelVersionDto, headers: ETAG_HEADER, description: 'The version' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'])
  getModelVersion(@Param() { name, version }: ModelVersionParams) {
    return this.versions.get(name, version);
  }

  @Patch(':version')
  @Roles('ml-engineer')
  @UseInterceptors(EtagInterceptor)
  @ApiIfMatch()
  @ApiOperation({
    summary: "Update a version's description or labels, or move the sunset of a deprecated version",
    description:
      'At least one of `description`, `labels`, `sunsetAt`. `sunsetAt` moves only while the version is deprecated (409 otherwise) ' +
      'and not into the past (422); predictions on the version carry the new `Sunset` header at once. Audited (`model-version.updated`).',
  })
  @ApiOkResponse({ type: ModelVersionDto, headers: ETAG_HEADER, description: 'The updated version' })
  @ApiProblemResponses(
    400,
    [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'],
    [409, 'MODEL_VERSION_NOT_DEPRECATED'],
    'PRECONDITION_FAILED',
    [422, 'VALIDATION_FAILED'],
  )
  updateModelVersion(
    @Param() { name, version }: ModelVersionParams,
    @Body() dto: UpdateVersionDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
  ) {
    return this.versions.update(name, version, dto, ifMatch, actor);
  }

  @Get(':version/artifact')
  @Roles('ml-engineer')
  @ApiOperation({ summary: "Download the version's artifact as a .tar.gz (reproducible: same bytes every time)" })
  @ApiProduces('application/gzip')
  @ApiOkResponse({
    description: 'model.json and weight files',
    content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], 'ARTIFACT_UNAVAILABLE')
  downloadModelVersionArtifact(@Param() { name, version }: ModelVersionParams) {
    return this.versions.download(name, version).then(asTarGzAttachment);
  }

  @Post(':version/transitions')
  @HttpCode(200)
  @Roles('ml-engineer')
  @UseInterceptors(EtagInterceptor)
  @ApiIfMatch()
  @ApiOperation({
    summary: 'Move a version to another stage',
    description:
      'draft → staging → production → deprecated → retired; draft/staging → retired; deprecated → production (rollback). ' +
      'Promoting to production deprecates the current production version. Retiring needs the admin role. ' +
      "Signature guard: a promotion to production (a rollback too) of a version whose inputs or outputs differ from the production version's " +
      "answers 409 SIGNATURE_MISMATCH with each difference in `errors` (the version's `signatureChanges`), unless an admin sends " +
      '`force: true`, which is recorded in the audit event (`forced`, `signatureChanges`); `force` from anyone else is 403 FORCE_NOT_ALLOWED.',
  })
  @ApiOkResponse({ type: ModelVersionDto, headers: ETAG_HEADER, description: 'The version in its new stage' })
  @ApiAcceptedResponse({
    type: PromotionRequestDto,
    description:
      'A move to production of a model that requires approval (or with PROMOTION_REQUIRES_APPROVAL): the pending promotion request; an approver decides it',
  })
  @ApiProblemResponses(
    400,
    [403, 'RETIREMENT_REQUIRES_ADMIN', 'FORCE_NOT_ALLOWED'],
    [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'],
    [409, 'INVALID_STAGE_TRANSITION', 'SIGNATURE_MISMATCH', 'CONCURRENT_MODIFICATION'],
    'PRECONDITION_FAILED',
  )
  transitionModelVersion(
    @Param() { name, version }: ModelVersionParams,
    @Body() dto: TransitionVersionDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
  ) {
    return this.lifecycle.transition(name, version, dto, ifMatch, actor);
  }

  @Get(':version/transitions')
  @Roles('consumer')
  @ApiOperation({ summary: "The version's stage history, oldest first (its creation included)" })
  @ApiOkResponse({ type: [StageTransitionDto], description: 'Every stage change, oldest first' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'])
  listModelVersionTransitions(@Param() { name, version }: ModelVersionParams) {
    return this.lifecycle.history(name, version);
  }

  @Post(':version/quantize')
  @Roles('ml-engineer')
  @ApiOperation({
    summary: 'Create a quantized copy of a version as a new draft version',
    description:
      'Its metrics.quantization holds {dtype, sourceVersion, sizeBytesBefore, sizeBytesAfter, maxAbsDiff, meanAbsDiff}, ' +
      'the output differences measured on a fixed, seeded sample of inputs.',
  })
  @ApiCreatedResponse({ type: ModelVersionDto, description: 'The quantized copy: a new draft version' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], [409, 'MODEL_VERSION_RETIRED'], 'INVALID_MODEL_ARTIFACT', [
    503,
    'ARTIFACT_UNAVAILABLE',
    'INSPECTION_BUSY',
  ])
  quantizeModelVersion(@Param() { name, version }: ModelVersionParams, @Body() dto: QuantizeVersionDto, @CurrentActor() actor: Actor) {
    return this.quantization.quantize(name, version, dto.dtype, actor);
  }
}
