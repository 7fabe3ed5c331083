import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditService } from '@app/audit';
import { Actor, ConflictError, ForbiddenError, NotFoundError, Page, Role, toPage } from '@app/common';
import { CallerDirectory, isUuid } from '../access/caller-directory';
import { PasswordHasher } from '../passwords/password-hasher';
import { RefreshTokenEntity } from '../tokens/entities/refresh-token.entity';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQueryDto } from './dto/list-users.query.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { UserEntity } from './entities/user.entity';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  return (e?.driverError?.code ?? e?.code) === '23505';
}

/** How a user came to be, for the audit trail. */
export type UserSource = 'api' | 'bootstrap' | 'cli';

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditService,
    private readonly directory: CallerDirectory,
  ) {}

  async create(input: CreateUserDto, actor: Actor | null, source: UserSource = 'api'): Promise<UserDto> {
    const email = normalizeEmail(input.email);
    const passwordHash = await this.hasher.hash(input.password);
    try {
      return await this.dataSource.transaction(async (m) => {
        const repo = m.getRepository(UserEntity);
        const user = await repo.save(repo.create({ email, passwordHash, roles: [...new Set(input.roles)] }));
        await this.audit.record(
          { action: 'user.created', actor, targetType: 'user', targetId: user.id, details: { email, roles: user.roles, source } },
          m,
        );
        return toUserDto(user);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('USER_EMAIL_TAKEN', `A user with email ${email} already exists.`);
      throw error;
    }
  }

  async list(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    const qb = this.users.createQueryBuilder('u');
    if (query.q) qb.andWhere(`u.email LIKE :q ESCAPE '\\'`, { q: `%${escapeLike(query.q.toLowerCase())}%` });
    if (query.role) qb.andWhere(':role = ANY(u.roles)', { role: query.role });
    const [rows, total] = await qb.orderBy('u.created_at', 'ASC').addOrderBy('u.id', 'ASC').take(query.limit).skip(query.offset).getManyAndCount();
    return toPage(rows.map(toUserDto), total, query);
  }

  async get(id: string): Promise<UserDto> {
    return toUserDto(await this.mustFind(this.users, id));
  }

  async findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOne({ where: { email: normalizeEmail(email) } });
  }

  async findById(id: string): Promise<UserEntity | null> {
    return isUuid(id) ? this.users.findOne({ where: { id } }) : null;
  }

  async anyEnabledAdmin(): Promise<boolean> {
    return (await this.users.createQueryBuilder('u').where(`'admin' = ANY(u.roles)`).andWhere('u.disabled = false').getCount()) > 0;
  }

  async update(id: string, patch: UpdateUserDto, actor: Actor): Promise<UserDto> {
    const passwordHash = patch.password === undefined ? undefined : await this.hasher.hash(patch.password);
    try {
      return await this.dataSource.transaction(async (m) => {
        const repo = m.getRepository(UserEntity);
        const user = await this.mustFind(repo, id, true);
        const before = { email: user.email, roles: [...user.roles], disabled: user.disabled };
        const after = {
          email: patch.email === undefined ? before.email : normalizeEmail(patch.email),
          roles: patch.roles === undefined ? before.roles : [...new Set(patch.roles)],
          disabled: patch.disabled ?? before.disabled,
        };
        if (isEnabledAdmin(before) && !isEnabledAdmin(after)) await this.keepAnAdmin(m, id);

        const changed = (Object.keys(after) as (keyof typeof after)[]).filter(
          (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
        );
        Object.assign(user, after, passwordHash ? { passwordHash } : {});
        // A new password, other roles or another enabled state refuse every access token issued
        // before (the row is locked: the increment cannot be lost to a concurrent change).
        if (passwordHash || changed.includes('roles') || changed.includes('disabled')) user.credentialVersion += 1;
        const saved = await repo.save(user);
        // A new password or a disabled account ends every session (refresh-token family) at once.
        if (passwordHash || (after.disabled && !before.disabled)) await revokeAllSessions(m, id);
        const details: Record<string, unknown> = { changed: passwordHash ? [...changed, 'password'] : changed };
        for (const k of changed) details[k] = { from: before[k], to: after[k] };
        await this.audit.record({ action: 'user.updated', actor, targetType: 'user', targetId: id, details }, m);
        return toUserDto(saved);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError('USER_EMAIL_TAKEN', 'Another user already has this email.');
      throw error;
    } finally {
      this.directory.forgetUser(id);
    }
  }

  async remove(id: string, actor: Actor): Promise<void> {
    try {
      await this.dataSource.transaction(async (m) => {
        const user = await this.mustFind(m.getRepository(UserEntity), id, true);
        if (isEnabledAdmin(user)) await this.keepAnAdmin(m, id);
        await m.getRepository(UserEntity).delete({ id });
        await this.audit.record(
          { action: 'user.deleted', actor, targetType: 'user', targetId: id, details: { email: user.email, roles: user.roles } },
          m,
        );
      });
    } finally {
      this.directory.forgetUser(id);
    }
  }

  /**
   * The caller's own password: proves the current one first (attempts count against the account's
   * sign-in limit, AuthRateLimited; failures are audited). A change ends every session and refuses
   * every access token issued before, the one used for the change included.
   */
  async changeOwnPassword(actor: Actor, currentPassword: string, newPassword: string): Promise<void> {
    if (actor.caller.kind !== 'user') {
      throw new ForbiddenError('Service accounts have no password; rotate the API key instead.', 'NOT_A_USER');
    }
    const user = await this.findById(actor.caller.id);
    if (!user || !(await this.hasher.verify(currentPassword, user.passwordHash))) {
      return this.passwordChangeFailed(actor, 'wrong-current-password');
    }
    const passwordHash = await this.hasher.hash(newPassword);
    const changed = await this.dataSource.transaction(async (m) => {
      // Only over the hash that was verified: a change or reset in between wins, and this one fails.
      const updated = await m
        .getRepository(UserEntity)
        .createQueryBuilder()
        .update()
        .set({ passwordHash, credentialVersion: () => 'credential_version + 1' })
        .where('id = :id AND password_hash = :verified', { id: user.id, verified: user.passwordHash })
        .execute();
      if (!updated.affected) return false;
      await revokeAllSessions(m, user.id);
      await this.audit.record({ action: 'user.password-changed', actor, targetType: 'user', targetId: user.id }, m);
      return true;
    });
    this.directory.forgetUser(user.id);
    if (!changed) return this.passwordChangeFailed(actor, 'password-changed-meanwhile');
  }

  /** Audits a refused change of the caller's own password (never the passwords), then refuses it. */
  private async passwordChangeFailed(actor: Actor, reason: string): Promise<never> {
    const userId = actor.caller.id;
    await this.audit.record({ action: 'user.password-change.failed', actor, targetType: 'user', targetId: userId, details: { reason } });
    throw new ForbiddenError('The current password is not correct.', 'CURRENT_PASSWORD_INCORRECT');
  }

  /** Re-hashes with the current cost after a successful login, when the stored hash is weaker (and still the same). */
  async upgradeHashIfNeeded(user: UserEntity, password: string): Promise<void> {
    if (!this.hasher.needsRehash(user.passwordHash)) return;
    const passwordHash = await this.hasher.hash(password);
    // Never over a password changed or reset since the login checked this one.
    await this.users.update({ id: user.id, passwordHash: user.passwordHash }, { passwordHash });
  }

  private async mustFind(repo: Repository<UserEntity>, id: string, lock = false): Promise<UserEntity> {
    const user = isUuid(id) ? await repo.findOne({ where: { id }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) }) : null;
    if (!user) throw new NotFoundError('USER_NOT_FOUND', `User ${id} does not exist.`);
    return user;
  }

  /**
   * Refuses to leave the system without an enabled admin. Locks every enabled admin row, so two
   * admins demoting each other at the same moment cannot both succeed.
   */
  private async keepAnAdmin(m: EntityManager, leavingId: string): Promise<void> {
    const admins: { id: string }[] = await m.query(
      `SELECT id FROM users WHERE 'admin' = ANY(roles) AND disabled = false ORDER BY id FOR UPDATE`,
    );
    if (!admins.some((a) => a.id !== leavingId)) {
      throw new ConflictError('LAST_ADMIN', 'This is the last enabled admin; make another admin first.');
    }
  }
}

function isEnabledAdmin(u: { roles: readonly Role[]; disabled: boolean }): boolean {
  return !u.disabled && u.roles.includes('admin');
}

async function revokeAllSessions(m: EntityManager, userId: string): Promise<void> {
  await m
    .getRepository(RefreshTokenEntity)
    .createQueryBuilder()
    .update()
    .set({ revokedAt: () => 'now()' })
    .where('user_id = :userId AND revoked_at IS NULL', { userId })
    .execute();
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
