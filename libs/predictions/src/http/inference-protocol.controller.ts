import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblemResponses, CurrentActor, ProblemResponse, Public, Roles } from '@app/common';
import { ModelNameParams, ModelVersionParams } from '@app/models';
import {
  V2InferRequestDto,
  V2InferResponseDto,
  V2ModelMetadataDto,
  V2ModelStatsResponseDto,
  V2ServerMetadataDto,
} from '../dto/predict.dto';
import { InferenceProtocolService } from '../serving/inference-protocol.service';
import { InferenceBody, V2_INFER_FIELDS } from './inference-body.decorator';
import { INFERENCE_PROBLEMS, PREDICT_HEADERS } from './predict.controller';

/** v1's problems, except that input which does not fit the model is a 400 here (as KServe and Triton answer), not a 422. */
const V2_INFERENCE_PROBLEMS: readonly ProblemResponse[] = [
  [400, 'VALIDATION_FAILED', 'MALFORMED_JSON', 'JSON_TOO_DEEP', 'EMPTY_INSTANCES', 'INPUT_SHAPE_MISMATCH', 'OUTPUT_TOO_LARGE'],
  ...INFERENCE_PROBLEMS.filter((p) => !Array.isArray(p) || (p[0] !== 400 && p[0] !== 422)),
];

/** The binary tensor data extension, as both infer routes take and answer it. */
const BINARY =
  'Binary tensor data extension: an `application/octet-stream` body is the JSON request followed by raw tensor bytes, ' +
  "the JSON's length in `Inference-Header-Content-Length`, each binary input with `parameters.binary_data_size`; " +
  '`parameters.binary_data_output: true` (or `binary_data: true` on a requested output) answers those outputs the same way.';

const STATS = 'Per-replica counters since the process started (rows, batches, success/fail/queue/compute time in ns)';

const READY = {
  schema: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, ready: { type: 'boolean' } } },
};

/** Open Inference Protocol (KServe v2 / Triton): the same models, the protocol's snake_case shapes. */
@ApiTags('inference (v2)')
@Controller({ version: '2' })
export class InferenceProtocolController {
  constructor(private readonly protocol: InferenceProtocolService) {}

  @Get()
  @Roles('consumer')
  @ApiOperation({ summary: 'Server metadata' })
  @ApiOkResponse({ type: V2ServerMetadataDto, description: 'The server: name, version, extensions' })
  getServerMetadataV2() {
    return this.protocol.server();
  }

  @Get('health/live')
  @Public()
  @ApiOperation({ summary: 'Server liveness (Open Inference Protocol)' })
  @ApiOkResponse({ description: 'Alive', schema: { type: 'object', properties: { live: { type: 'boolean' } } } })
  getServerLiveV2() {
    return this.protocol.live();
  }

  @Get('health/ready')
  @Public()
  @ApiOperation({ summary: 'Server readiness (Open Inference Protocol)' })
  @ApiOkResponse({ description: 'The inference engine is ready', schema: { type: 'object', properties: { ready: { type: 'boolean' } } } })
  @ApiProblemResponses('INFERENCE_ENGINE_FAILED')
  getServerReadyV2() {
    return this.protocol.ready();
  }

  // Declared before models/:name so that `stats` is never read as a model name.
  @Get('models/stats')
  @Roles('consumer')
  @ApiOperation({ summary: 'Statistics of every version that served on this replica (statistics extension)' })
  @ApiOkResponse({ type: V2ModelStatsResponseDto, description: STATS })
  getAllModelStatsV2() {
    return this.protocol.allStats();
  }

  @Get('models/:name/stats')
  @Roles('consumer')
  @ApiOperation({ summary: 'Statistics of the versions of a model the caller may request (statistics extension)' })
  @ApiOkResponse({ type: V2ModelStatsResponseDto, description: STATS })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND'])
  getModelStatsV2(@Param() { name }: ModelNameParams, @CurrentActor() actor: Actor) {
    return this.protocol.modelStats(name, actor);
  }

  @Get('models/:name/versions/:version/stats')
  @Roles('consumer')
  @ApiOperation({ summary: 'Statistics of a model version (statistics extension)' })
  @ApiOkResponse({ type: V2ModelStatsResponseDto, description: STATS })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], 'MODEL_VERSION_RETIRED', 'MODEL_VERSION_DRAFT')
  getModelVersionStatsV2(@Param() { name, version }: ModelVersionParams, @CurrentActor() actor: Actor) {
    return this.protocol.versionStats({ kind: 'version', model: name, version }, actor);
  }

  @Get('models/:name')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model metadata (the production version)' })
  @ApiOkResponse({ type: V2ModelMetadataDto, description: 'The model: its servable versions, platform, inputs and outputs' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'NO_PRODUCTION_VERSION'], 'MODEL_VERSION_RETIRED')
  getModelMetadataV2(@Param() { name }: ModelNameParams, @CurrentActor() actor: Actor) {
    return this.protocol.model({ kind: 'production', model: name }, actor);
  }

  @Get('models/:name/versions/:version')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model version metadata' })
  @ApiOkResponse({ type: V2ModelMetadataDto, description: 'The version: platform, inputs and outputs' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], 'MODEL_VERSION_RETIRED', 'MODEL_VERSION_DRAFT')
  getModelVersionMetadataV2(@Param() { name, version }: ModelVersionParams, @CurrentActor() actor: Actor) {
    return this.protocol.model({ kind: 'version', model: name, version }, actor);
  }

  @Get('models/:name/ready')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model readiness: the production version is loaded and can answer' })
  @ApiOkResponse({ ...READY, description: 'Whether the production version is ready' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'NO_PRODUCTION_VERSION'], 'MODEL_VERSION_RETIRED', [
    503,
    'ARTIFACT_UNAVAILABLE',
    'INFERENCE_ENGINE_FAILED',
  ])
  getModelReadyV2(@Param() { name }: ModelNameParams, @CurrentActor() actor: Actor) {
    return this.protocol.modelReady({ kind: 'production', model: name }, actor);
  }

  @Get('models/:name/versions/:version/ready')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model version readiness' })
  @ApiOkResponse({ ...READY, description: 'Whether the version is ready' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], 'MODEL_VERSION_RETIRED', 'MODEL_VERSION_DRAFT', [
    503,
    'ARTIFACT_UNAVAILABLE',
    'INFERENCE_ENGINE_FAILED',
  ])
  getModelVersionReadyV2(@Param() { name, version }: ModelVersionParams, @CurrentActor() actor: Actor) {
    return this.protocol.modelReady({ kind: 'version', model: name, version }, actor);
  }

  @Post('models/:name/infer')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Inference with the production version (canary split applied)', description: BINARY })
  @ApiConsumes('application/json', 'application/octet-stream')
  @ApiBody({ type: V2InferRequestDto })
  @ApiOkResponse({ type: V2InferResponseDto, headers: PREDICT_HEADERS, description: 'The outputs' })
  @ApiProblemResponses(...V2_INFERENCE_PROBLEMS, [404, 'MODEL_NOT_FOUND', 'NO_PRODUCTION_VERSION'])
  inferV2(@Param() { name }: ModelNameParams, @InferenceBody(V2_INFER_FIELDS) body: V2InferRequestDto, @CurrentActor() actor: Actor) {
    return this.protocol.infer({ kind: 'production', model: name }, body, actor);
  }

  @Post('models/:name/versions/:version/infer')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Inference with a given version', description: BINARY })
  @ApiConsumes('application/json', 'application/octet-stream')
  @ApiBody({ type: V2InferRequestDto })
  @ApiOkResponse({ type: V2InferResponseDto, headers: PREDICT_HEADERS, description: 'The outputs' })
  @ApiProblemResponses(...V2_INFERENCE_PROBLEMS, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], 'MODEL_VERSION_DRAFT')
  inferWithVersionV2(
    @Param() { name, version }: ModelVersionParams,
    @InferenceBody(V2_INFER_FIELDS) body: V2InferRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.protocol.infer({ kind: 'version', model: name, version }, body, actor);
  }
}
