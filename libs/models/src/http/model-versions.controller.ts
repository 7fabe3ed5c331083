import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { ModelVersionDto, StageTransitionDto } from '../dto/model-version.dto';
import { QuantizeVersionDto } from '../dto/quantize.dto';
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
      'The model is loaded with TensorFlow.js: one that does not load, or whose weights do not match the manifest, is refused with 422.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: UPLOAD_VERSION_SCHEMA })
  @ApiCreatedResponse({ type: ModelVersionDto })
  @ApiProblemResponses(400, 404, 413, 415, 422, 503)
  uploadModelVersion(@Param() { name }: ModelNameParams, @UploadedArtifact() upload: ArtifactUpload, @CurrentActor() actor: Actor) {
    return this.versions.upload(name, upload, actor);
  }

  @Get()
  @Roles('consumer')
  @ApiOperation({ summary: "List a model's versions, newest first (filter by effective stage)" })
  @ApiPageResponse(ModelVersionDto)
  @ApiProblemResponses(400, 404)
  listModelVersions(@Param() { name }: ModelNameParams, @Query() query: ListVersionsQueryDto) {
    return this.versions.list(name, query);
  }

  @Get(':version')
  @Roles('consumer')
  @UseInterceptors(EtagInterceptor)
  @ApiOperation({ summary: 'Get a version' })
  @ApiOkResponse({ type: ModelVersionDto, headers: ETAG_HEADER })
  @ApiProblemResponses(400, 404)
  getModelVersion(@Param() { name, version }: ModelVersionParams) {
    return this.versions.get(name, version);
  }

  @Get(':version/artifact')
  @Roles('ml-engineer')
  @ApiOperation({ summary: "Download the version's artifact as a .tar.gz (reproducible: same bytes every time)" })
  @ApiProduces('application/gzip')
  @ApiOkResponse({
    description: 'model.json and weight files',
    content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiProblemResponses(400, 404, 503)
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
      'Promoting to production deprecates the current production version. Retiring needs the admin role.',
  })
  @ApiOkResponse({ type: ModelVersionDto, headers: ETAG_HEADER })
  @ApiProblemResponses(400, 404, 409, 412)
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
  @ApiOkResponse({ type: [StageTransitionDto] })
  @ApiProblemResponses(400, 404)
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
  @ApiCreatedResponse({ type: ModelVersionDto })
  @ApiProblemResponses(400, 404, 409, 422, 503)
  quantizeModelVersion(@Param() { name, version }: ModelVersionParams, @Body() dto: QuantizeVersionDto, @CurrentActor() actor: Actor) {
    return this.quantization.quantize(name, version, dto.dtype, actor);
  }
}
