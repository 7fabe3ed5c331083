import { Body, Controller, Get, Header, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Actor, ApiProblemResponses, Caller, CurrentActor, CurrentCaller, Public, Roles } from '@app/common';
import { AuthRateLimited } from '../access/rate-limit';
import { CurrentOrigin, RequestOrigin } from '../access/request-origin.decorator';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginDto } from './dto/login.dto';
import { MeDto } from './dto/me.dto';
import { RefreshTokenDto } from './dto/refresh.dto';
import { TokenPairDto } from './dto/token-pair.dto';

@ApiTags('auth')
@Controller({ path: 'auth', version: '1' })
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @AuthRateLimited('email', 'auth.login.throttled')
  @ApiOperation({ summary: 'Sign in with email and password: an access token (JWT) and a refresh token' })
  @ApiOkResponse({ type: TokenPairDto, description: 'Signed in: send the access token as `Authorization: Bearer <accessToken>`' })
  @ApiProblemResponses(400, 'INVALID_CREDENTIALS')
  login(@Body() body: LoginDto, @CurrentOrigin() origin: RequestOrigin) {
    return this.auth.login(body, origin);
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Trade a refresh token (single use) for a new pair; reusing one revokes its whole session' })
  @ApiOkResponse({ type: TokenPairDto, description: 'A new access token and refresh token (the one sent is used up)' })
  @ApiProblemResponses(400, [401, 'INVALID_REFRESH_TOKEN', 'REFRESH_TOKEN_REUSED'])
  refreshTokens(@Body() body: RefreshTokenDto, @CurrentOrigin() origin: RequestOrigin) {
    return this.auth.refresh(body.refreshToken, origin);
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'End the session the refresh token belongs to' })
  @ApiNoContentResponse({ description: 'The session is ended (also when it already was)' })
  @ApiProblemResponses(400)
  logout(@Body() body: RefreshTokenDto, @CurrentOrigin() origin: RequestOrigin) {
    return this.auth.logout(body.refreshToken, origin);
  }

  @Get('me')
  @Roles('consumer')
  @ApiOperation({ summary: 'Who is calling: the user or service account behind the credentials' })
  @ApiOkResponse({ type: MeDto, description: 'The caller: id, email (users) and roles' })
  getMe(@CurrentCaller() caller: Caller) {
    return this.auth.me(caller);
  }

  @Patch('me/password')
  @Roles('consumer')
  @HttpCode(204)
  @AuthRateLimited('caller', 'user.password-change.throttled')
  @ApiOperation({
    summary: 'Change your own password (needs the current one); ends your sessions',
    description:
      'Every session (refresh token) and every access token issued before, the one used here included, stop working: sign in again with the new password. ' +
      'Attempts count against the same per-account and per-IP limits as sign-in (429 beyond).',
  })
  @ApiNoContentResponse({ description: 'Changed; sign in again with the new password' })
  @ApiProblemResponses(400, [403, 'CURRENT_PASSWORD_INCORRECT', 'NOT_A_USER'])
  changeMyPassword(@Body() body: ChangePasswordDto, @CurrentActor() actor: Actor) {
    return this.users.changeOwnPassword(actor, body.currentPassword, body.newPassword);
  }
}
