import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiPageResponse, ApiProblemResponses, CurrentActor, Roles } from '@app/common';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ListApiKeysQueryDto } from './dto/list-api-keys.query.dto';

@ApiTags('api-keys')
@Controller({ path: 'api-keys', version: '1' })
@Roles('admin')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a service account: an API key and OAuth2 client credentials, shown only in this answer' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The service account; `key` and `clientSecret` are shown only here' })
  @ApiProblemResponses(400)
  createApiKey(@Body() body: CreateApiKeyDto, @CurrentActor() actor: Actor) {
    return this.apiKeys.create(body, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  @ApiPageResponse(ApiKeyDto, 'A page of API keys (no secrets)')
  @ApiProblemResponses(400)
  listApiKeys(@Query() query: ListApiKeysQueryDto) {
    return this.apiKeys.list(query);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key; the next request with it (or its tokens) is refused' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was)' })
  @ApiProblemResponses('API_KEY_NOT_FOUND')
  revokeApiKey(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.apiKeys.revoke(id, actor);
  }
}
