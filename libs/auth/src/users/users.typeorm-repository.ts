import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { managerOf, Transaction, uniqueViolationOf } from '@app/database';
import { UserEntity } from './entities/user.entity';
import { NewUser, SessionStanding, UserEmailTaken, UserFilter, UsersRepository, UserStanding } from './users.repository';

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

async function emailTakenOnUniqueViolation<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (uniqueViolationOf(error)) throw new UserEmailTaken();
    throw error;
  }
}

@Injectable()
export class TypeormUsersRepository extends UsersRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private manager(tx?: Transaction): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  private repo(tx?: Transaction): Repository<UserEntity> {
    return this.manager(tx).getRepository(UserEntity);
  }

  insert(user: NewUser, tx?: Transaction): Promise<UserEntity> {
    const repo = this.repo(tx);
    return emailTakenOnUniqueViolation(repo.save(repo.create(user)));
  }

  async list(filter: UserFilter): Promise<{ rows: UserEntity[]; total: number }> {
    const qb = this.repo().createQueryBuilder('u');
    if (filter.emailContains) qb.andWhere(`u.email LIKE :q ESCAPE '\\'`, { q: `%${escapeLike(filter.emailContains)}%` });
    if (filter.role) qb.andWhere(':role = ANY(u.roles)', { role: filter.role });
    const [rows, total] = await qb
      .orderBy('u.created_at', 'ASC')
      .addOrderBy('u.id', 'ASC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { rows, total };
  }

  findById(id: string, tx?: Transaction): Promise<UserEntity | null> {
    return this.repo(tx).findOne({ where: { id } });
  }

  findByIdForUpdate(id: string, tx: Transaction): Promise<UserEntity | null> {
    return this.repo(tx).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findByIdForShare(id: string, tx: Transaction): Promise<UserEntity | null> {
    return this.repo(tx).findOne({ where: { id }, lock: { mode: 'pessimistic_read' } });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.repo().findOne({ where: { email } });
  }

  findStanding(id: string): Promise<UserStanding | null> {
    return this.repo().findOne({
      where: { id },
      select: { id: true, email: true, roles: true, disabled: true, credentialVersion: true, approver: true },
    });
  }

  findSessionStandingForShare(id: string, tx: Transaction): Promise<SessionStanding | null> {
    return this.repo(tx).findOne({
      where: { id },
      select: { id: true, disabled: true, credentialVersion: true },
      lock: { mode: 'pessimistic_read' },
    });
  }

  countEnabledAdmins(): Promise<number> {
    return this.repo().createQueryBuilder('u').where(`'admin' = ANY(u.roles)`).andWhere('u.disabled = false').getCount();
  }

  async lockEnabledAdminIds(tx: Transaction): Promise<string[]> {
    const admins: { id: string }[] = await this.manager(tx).query(
      `SELECT id FROM users WHERE 'admin' = ANY(roles) AND disabled = false ORDER BY id FOR UPDATE`,
    );
    return admins.map((a) => a.id);
  }

  save(user: UserEntity, tx: Transaction): Promise<UserEntity> {
    return emailTakenOnUniqueViolation(this.repo(tx).save(user));
  }

  async delete(id: string, tx: Transaction): Promise<void> {
    await this.repo(tx).delete({ id });
  }

  async changePassword(id: string, expectedHash: string, passwordHash: string, tx: Transaction): Promise<boolean> {
    const updated = await this.repo(tx)
      .createQueryBuilder()
      .update()
      .set({ passwordHash, credentialVersion: () => 'credential_version + 1' })
      .where('id = :id AND password_hash = :verified', { id, verified: expectedHash })
      .execute();
    return Boolean(updated.affected);
  }

  async rehash(id: string, expectedHash: string, passwordHash: string): Promise<void> {
    await this.repo().update({ id, passwordHash: expectedHash }, { passwordHash });
  }
}
