import { Body, Controller, Header, Headers, HttpCode, Post, UseFilters } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConsumes, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '@app/common';
import { AuthRateLimited } from '../access/rate-limit';
import { CurrentOrigin, RequestOrigin } from '../access/request-origin.decorator';
import { AuthService } from '../auth/auth.service';
import { TokenRequestDto } from './dto/token-request.dto';
import { OAuthErrorDto, TokenResponseDto } from './dto/token-response.dto';
import { OAuthErrorFilter } from './oauth-error.filter';

@ApiTags('auth')
@Controller({ path: 'auth', version: '1' })
@UseFilters(OAuthErrorFilter)
export class OAuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('token')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  @AuthRateLimited('client_id', 'auth.token.throttled')
  @ApiOperation({
    summary: 'OAuth2 client credentials (RFC 6749 §4.4): an API key\u2019s clientId/clientSecret for a bearer JWT',
    description: 'Errors follow RFC 6749 §5.2 (`{error, error_description}`), not problem+json.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOkResponse({ type: TokenResponseDto, description: 'A bearer access token (RFC 6749 §5.1)' })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'invalid_request or unsupported_grant_type' })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_client' })
  issueToken(
    @Body() body: TokenRequestDto,
    @Headers('authorization') authorization: string | undefined,
    @CurrentOrigin() origin: RequestOrigin,
  ) {
    return this.auth.clientCredentials(body, authorization, origin);
  }
}
