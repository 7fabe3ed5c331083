import { Global, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import { CALLER_ACCESS, CallerStreams } from '@app/common';
import { authConfig, type AuthConfig } from './auth.config';
import { AccessGuard } from './access/access.guard';
import { ApiKeyStrategy } from './access/api-key.strategy';
import { CallerDirectory } from './access/caller-directory';
import { JwtStrategy } from './access/jwt.strategy';
import { RATE_LIMIT_STORAGE, RateLimiter, rateLimitOptions, RateLimitStorageModule } from './access/rate-limit';
import { ApiKeyUsage } from './api-keys/api-key-usage';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysRepository } from './api-keys/api-keys.repository';
import { ApiKeysService } from './api-keys/api-keys.service';
import { TypeormApiKeysRepository } from './api-keys/api-keys.typeorm-repository';
import { ApiKeyEntity } from './api-keys/entities/api-key.entity';
import { AuthController } from './auth/auth.controller';
import { AuthService } from './auth/auth.service';
import { OAuthController } from './oauth/oauth.controller';
import { PasswordHasher } from './passwords/password-hasher';
import { ScheduledJobs, TypeormUnitOfWork, UnitOfWork } from '@app/database';
import { AccessTokens } from './tokens/access-tokens';
import { RefreshTokenEntity } from './tokens/entities/refresh-token.entity';
import { RefreshTokensRepository } from './tokens/refresh-tokens.repository';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
import { TypeormRefreshTokensRepository } from './tokens/refresh-tokens.typeorm-repository';
import { AdminBootstrap } from './users/admin-bootstrap';
import { UserEntity } from './users/entities/user.entity';
import { UsersController } from './users/users.controller';
import { UsersRepository } from './users/users.repository';
import { UsersService } from './users/users.service';
import { TypeormUsersRepository } from './users/users.typeorm-repository';

/**
 * Who callers are, for the whole app: the caller directory, and through the CALLER_ACCESS port
 * (libs may not import auth) whether a caller authenticated earlier still has access, which
 * CallerStreams uses to end event streams of callers who lost it.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, ApiKeyEntity])],
  providers: [
    { provide: UsersRepository, useClass: TypeormUsersRepository },
    { provide: ApiKeysRepository, useClass: TypeormApiKeysRepository },
    CallerDirectory,
    { provide: CALLER_ACCESS, useExisting: CallerDirectory },
    CallerStreams,
  ],
  exports: [UsersRepository, ApiKeysRepository, CallerDirectory, CALLER_ACCESS, CallerStreams],
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
      inject: [authConfig.token, RATE_LIMIT_STORAGE],
      useFactory: (config: AuthConfig, storage) => ({ ...rateLimitOptions(config), storage }),
    }),
  ],
  controllers: [AuthController, OAuthController, UsersController, ApiKeysController],
  providers: [
    // Persistence: the repositories' TypeORM implementations (users and API keys come from
    // CallerAccessModule, which the caller directory needs them in) and transactions; AuditModule
    // provides the audit trail.
    { provide: RefreshTokensRepository, useClass: TypeormRefreshTokensRepository },
    { provide: UnitOfWork, useClass: TypeormUnitOfWork },
    ScheduledJobs,
    PasswordHasher,
    AccessTokens,
    RefreshTokensService,
    ApiKeyUsage,
    UsersService,
    ApiKeysService,
    AuthService,
    AdminBootstrap,
    JwtStrategy,
    ApiKeyStrategy,
    RateLimiter,
    AccessGuard,
  ],
  exports: [AccessGuard, UsersService, ApiKeysService, AuthService, AccessTokens],
})
export class AuthModule {}
