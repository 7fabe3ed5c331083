import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { CreateModelDto } from '../dto/create-model.dto';
import { DeleteModelQueryDto } from '../dto/delete-model.query.dto';
import { ListModelsQueryDto } from '../dto/list-models.query.dto';
import { ModelDto } from '../dto/model.dto';
import { UpdateModelDto } from '../dto/update-model.dto';
import { ModelNameParams } from '../dto/version-queries.dto';
import { ModelsService } from '../services/models.service';
import { EtagInterceptor } from './etag.interceptor';
import { ApiIfMatch, ETAG_HEADER } from './openapi';

@ApiTags('models')
@Controller({ path: 'models', version: '1' })
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Post()
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'Register a model (a name; versions are uploaded separately)' })
  @ApiCreatedResponse({ type: ModelDto, description: 'The registered model (no versions yet)' })
  @ApiProblemResponses(400, 'MODEL_ALREADY_EXISTS')
  createModel(@Body() dto: CreateModelDto, @CurrentActor() actor: Actor) {
    return this.models.create(dto, actor);
  }

  @Get()
  @Roles('consumer')
  @ApiOperation({ summary: 'List models (filter by tag or task, search name and description with q)' })
  @ApiPageResponse(ModelDto, 'A page of models, by name')
  @ApiProblemResponses(400)
  listModels(@Query() query: ListModelsQueryDto) {
    return this.models.list(query);
  }

  @Get(':name')
  @Roles('consumer')
  @UseInterceptors(EtagInterceptor)
  @ApiOperation({ summary: 'Get a model' })
  @ApiOkResponse({ type: ModelDto, headers: ETAG_HEADER, description: 'The model, with its production and latest versions' })
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND')
  getModel(@Param() { name }: ModelNameParams) {
    return this.models.get(name);
  }

  @Patch(':name')
  @Roles('ml-engineer')
  @UseInterceptors(EtagInterceptor)
  @ApiIfMatch()
  @ApiOperation({ summary: "Update a model's description, task or tags (the name is immutable)" })
  @ApiOkResponse({ type: ModelDto, headers: ETAG_HEADER, description: 'The updated model' })
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND', 'PRECONDITION_FAILED')
  updateModel(
    @Param() { name }: ModelNameParams,
    @Body() dto: UpdateModelDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentActor() actor: Actor,
  ) {
    return this.models.update(name, dto, ifMatch, actor);
  }

  @Delete(':name')
  @HttpCode(204)
  @Roles('admin')
  @ApiOperation({
    summary: 'Delete a model (soft: its name stays reserved); while a version is in production this needs ?force=true',
  })
  @ApiNoContentResponse({ description: 'Deleted (its name stays reserved)' })
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND', 'MODEL_HAS_PRODUCTION_VERSION')
  deleteModel(@Param() { name }: ModelNameParams, @Query() query: DeleteModelQueryDto, @CurrentActor() actor: Actor) {
    return this.models.remove(name, query.force ?? false, actor);
  }
}
