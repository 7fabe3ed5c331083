import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '@app/common';
import { managerOf, TypeormUnitOfWork } from '@app/database';
import { TypeormUsersRepository } from '../users/users.typeorm-repository';
import { TypeormRefreshTokensRepository } from './refresh-tokens.typeorm-repository';
import { RefreshTokensService, RotationResult } from './refresh-tokens.service';

export type { RotationResult } from './refresh-tokens.service';

/**
 * RefreshTokensService over its TypeORM repositories, built from a DataSource, with `authorize`
 * handed the transaction's EntityManager. Only for code outside Nest's container that holds a
 * DataSource (the database-backed refresh-tokens.spec.ts); the app injects RefreshTokensService.
 */
export class RefreshTokens {
  private readonly service: RefreshTokensService;

  constructor(dataSource: DataSource, config: Pick<AppConfig, 'jwt'>) {
    this.service = new RefreshTokensService(
      new TypeormRefreshTokensRepository(dataSource),
      new TypeormUsersRepository(dataSource),
      new TypeormUnitOfWork(dataSource),
      config,
    );
  }

  issue(userId: string, familyId?: string): Promise<{ token: string; familyId: string }> {
    return this.service.issue(userId, familyId);
  }

  startSession(userId: string, credentialVersion: number): Promise<{ token: string; familyId: string } | null> {
    return this.service.startSession(userId, credentialVersion);
  }

  rotate<T>(token: string, authorize: (userId: string, m: EntityManager) => Promise<T | null | false>): Promise<RotationResult<T>> {
    return this.service.rotate(token, (userId, tx) => authorize(userId, managerOf(tx)));
  }

  revokeFamilyOf(token: string): Promise<{ userId: string; familyId: string } | null> {
    return this.service.revokeFamilyOf(token);
  }
}
