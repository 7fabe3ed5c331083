import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblemResponses, CurrentActor, Public, Roles } from '@app/common';
import { ModelNameParams, ModelVersionParams } from '@app/models';
import { V2InferRequestDto, V2InferResponseDto, V2ModelMetadataDto, V2ServerMetadataDto } from '../dto/predict.dto';
import { InferenceProtocolService } from '../serving/inference-protocol.service';
import { PredictionService } from '../serving/prediction.service';
import { InferenceBody, V2_INFER_FIELDS } from './inference-body.decorator';

const READY = {
  schema: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, ready: { type: 'boolean' } } },
};

/** Open Inference Protocol (KServe v2 / Triton): the same models, the protocol's snake_case shapes. */
@ApiTags('inference (v2)')
@Controller({ version: '2' })
export class InferenceProtocolController {
  constructor(
    private readonly protocol: InferenceProtocolService,
    private readonly predictions: PredictionService,
  ) {}

  @Get()
  @Roles('consumer')
  @ApiOperation({ summary: 'Server metadata' })
  @ApiOkResponse({ type: V2ServerMetadataDto })
  getServerMetadataV2() {
    return this.protocol.server();
  }

  @Get('health/live')
  @Public()
  @ApiOperation({ summary: 'Server liveness (Open Inference Protocol)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { live: { type: 'boolean' } } } })
  getServerLiveV2() {
    return this.protocol.live();
  }

  @Get('health/ready')
  @Public()
  @ApiOperation({ summary: 'Server readiness (Open Inference Protocol)' })
  @ApiOkResponse({ schema: { type: 'object', properties: { ready: { type: 'boolean' } } } })
  @ApiProblemResponses(503)
  getServerReadyV2() {
    return this.protocol.ready();
  }

  @Get('models/:name')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model metadata (the production version)' })
  @ApiOkResponse({ type: V2ModelMetadataDto })
  @ApiProblemResponses(400, 404, 410)
  getModelMetadataV2(@Param() { name }: ModelNameParams, @CurrentActor() actor: Actor) {
    return this.protocol.model({ kind: 'production', model: name }, actor);
  }

  @Get('models/:name/versions/:version')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model version metadata' })
  @ApiOkResponse({ type: V2ModelMetadataDto })
  @ApiProblemResponses(400, 404, 410)
  getModelVersionMetadataV2(@Param() { name, version }: ModelVersionParams, @CurrentActor() actor: Actor) {
    return this.protocol.model({ kind: 'version', model: name, version }, actor);
  }

  @Get('models/:name/ready')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model readiness: the production version is loaded and can answer' })
  @ApiOkResponse(READY)
  @ApiProblemResponses(400, 404, 410, 503)
  getModelReadyV2(@Param() { name }: ModelNameParams, @CurrentActor() actor: Actor) {
    return this.protocol.modelReady({ kind: 'production', model: name }, actor);
  }

  @Get('models/:name/versions/:version/ready')
  @Roles('consumer')
  @ApiOperation({ summary: 'Model version readiness' })
  @ApiOkResponse(READY)
  @ApiProblemResponses(400, 404, 410, 503)
  getModelVersionReadyV2(@Param() { name, version }: ModelVersionParams, @CurrentActor() actor: Actor) {
    return this.protocol.modelReady({ kind: 'version', model: name, version }, actor);
  }

  @Post('models/:name/infer')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Inference with the production version (canary split applied)' })
  @ApiBody({ type: V2InferRequestDto })
  @ApiOkResponse({ type: V2InferResponseDto })
  @ApiProblemResponses(400, 404, 410, 422, 429, 503)
  inferV2(@Param() { name }: ModelNameParams, @InferenceBody(V2_INFER_FIELDS) body: V2InferRequestDto, @CurrentActor() actor: Actor) {
    return this.predictions.inferV2({ kind: 'production', model: name }, body, actor);
  }

  @Post('models/:name/versions/:version/infer')
  @HttpCode(200)
  @Roles('consumer')
  @ApiOperation({ summary: 'Inference with a given version' })
  @ApiBody({ type: V2InferRequestDto })
  @ApiOkResponse({ type: V2InferResponseDto })
  @ApiProblemResponses(400, 404, 410, 422, 429, 503)
  inferWithVersionV2(
    @Param() { name, version }: ModelVersionParams,
    @InferenceBody(V2_INFER_FIELDS) body: V2InferRequestDto,
    @CurrentActor() actor: Actor,
  ) {
    return this.predictions.inferV2({ kind: 'version', model: name, version }, body, actor);
  }
}
