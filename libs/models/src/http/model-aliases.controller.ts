import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, PageQueryDto, Roles } from '@app/common';
import { AliasDto, SetAliasDto } from '../dto/alias.dto';
import { SetTrafficDto, TrafficDto } from '../dto/traffic.dto';
import { ModelAliasParams, ModelNameParams } from '../dto/version-queries.dto';
import { AliasesService } from '../services/aliases.service';
import { TrafficService } from '../services/traffic.service';

@ApiTags('model aliases and traffic')
@Controller({ path: 'models/:name', version: '1' })
export class ModelAliasesController {
  constructor(
    private readonly aliases: AliasesService,
    private readonly traffic: TrafficService,
  ) {}

  @Get('aliases')
  @Roles('consumer')
  @ApiOperation({ summary: "A model's aliases; `production` is listed (derived) when a version is in production" })
  @ApiPageResponse(AliasDto, "A page of the model's aliases")
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND')
  listModelAliases(@Param() { name }: ModelNameParams, @Query() query: PageQueryDto) {
    return this.aliases.list(name, query);
  }

  @Put('aliases/:alias')
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'Point an alias at a version (creates or moves it); `production` is reserved' })
  @ApiOkResponse({ type: AliasDto, description: 'The alias, pointing at the version' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'], [409, 'ALIAS_RESERVED', 'MODEL_VERSION_RETIRED'])
  setModelAlias(@Param() { name, alias }: ModelAliasParams, @Body() dto: SetAliasDto, @CurrentActor() actor: Actor) {
    return this.aliases.set(name, alias, dto.version, actor);
  }

  @Delete('aliases/:alias')
  @HttpCode(204)
  @Roles('ml-engineer')
  @ApiOperation({ summary: 'Remove an alias (the version itself is untouched)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblemResponses(400, [404, 'MODEL_NOT_FOUND', 'MODEL_ALIAS_NOT_FOUND'], 'ALIAS_RESERVED')
  deleteModelAlias(@Param() { name, alias }: ModelAliasParams, @CurrentActor() actor: Actor) {
    return this.aliases.remove(name, alias, actor);
  }

  @Get('traffic')
  @Roles('consumer')
  @ApiOperation({ summary: "The model's canary split of production traffic" })
  @ApiOkResponse({ type: TrafficDto, description: 'The current split (canary null when none)' })
  @ApiProblemResponses(400, 'MODEL_NOT_FOUND')
  getModelTraffic(@Param() { name }: ModelNameParams) {
    return this.traffic.get(name);
  }

  @Put('traffic')
  @Roles('ml-engineer')
  @ApiOperation({
    summary: 'Send a share of production traffic to a canary version, or stop ({canary: null})',
    description:
      'The canary must be a staging or deprecated version of this model (not draft, retired or the production one); 0 < percent < 100. ' +
      "A canary whose inputs or outputs differ from the production version's answers 409 SIGNATURE_MISMATCH (each difference in `errors`) " +
      'unless an admin sends `force: true` (audited); `force` from anyone else is 403 FORCE_NOT_ALLOWED.',
  })
  @ApiOkResponse({ type: TrafficDto, description: 'The new split' })
  @ApiProblemResponses(
    400,
    'FORCE_NOT_ALLOWED',
    [404, 'MODEL_NOT_FOUND', 'MODEL_VERSION_NOT_FOUND'],
    [409, 'CANARY_VERSION_NOT_ELIGIBLE', 'SIGNATURE_MISMATCH', 'MODEL_VERSION_RETIRED', 'CONCURRENT_MODIFICATION'],
  )
  setModelTraffic(@Param() { name }: ModelNameParams, @Body() dto: SetTrafficDto, @CurrentActor() actor: Actor) {
    return this.traffic.set(name, dto, actor);
  }
}
