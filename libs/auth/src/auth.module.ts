import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import { APP_CONFIG, AppConfig, CALLER_ACCESS, CallerStreams } from '@app/common';
import { AccessGuard } from './access/access.guard';
import { ApiKeyStrategy } from './access/api-key.strategy';
import { CallerDirectory } from './access/caller-directory';
import { JwtStrategy } from './access/jwt.strategy';
import { RATE_LIMIT_STORAGE, RateLimiter, rateLimitOptions, RateLimitStorageModule } from './access/rate-limit';
import { ApiKeyUsage } from './api-keys/api-key-usage';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { ApiKeyEntity } from './api-keys/entities/api-key.entity';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { OAuthController } from './oauth/oauth.controller';
import { PasswordHasher } from './passwords/password-hasher';
import { AccessTokens } from './tokens/access-tokens';
import { RefreshTokenEntity } from './tokens/entities/refresh-token.entity';
import { RefreshTokens } from './tokens/refresh-tokens';
import { AdminBootstrap } from './users/admin-bootstrap';
import { UserEntity } from './users/entities/user.entity';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

/**
 * Who callers are, for the whole app: the caller directory, and through the CALLER_ACCESS port
 * (libs may not import auth) whether a caller authenticated earlier still has access, which
 * CallerStreams uses to end event streams of callers who lost it.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, ApiKeyEntity])],
  providers: [CallerDirectory, { provide: CALLER_ACCESS, useExisting: CallerDirectory }, CallerStreams],
  exports: [CallerDirectory, CALLER_ACCESS, CallerStreams],
})
export class CallerAccessModule {}

/**
 * Identity and access: users, sessions, service accounts, and the global guard that protects every
 * route (deny by default) and applies the rate limits.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, RefreshTokenEntity, ApiKeyEntity]),
    CallerAccessModule,
    PassportModule,
    AuditModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [APP_CONFIG, RATE_LIMIT_STORAGE],
      useFactory: (config: AppConfig, storage) => ({ ...rateLimitOptions(config), storage }),
    }),
  ],
  controllers: [AuthController, OAuthController, UsersController, ApiKeysController],
  providers: [
    PasswordHasher,
    AccessTokens,
    RefreshTokens,
    ApiKeyUsage,
    UsersService,
    ApiKeysService,
    AuthService,
    AdminBootstrap,
    JwtStrategy,
    ApiKeyStrategy,
    RateLimiter,
    AccessGuard,
    { provide: APP_GUARD, useExisting: AccessGuard },
  ],
  exports: [AccessGuard, UsersService, ApiKeysService, AuthService, AccessTokens],
})
export class AuthModule {}
