import { Injectable } from '@nestjs/common';
import { Actor, ConflictError, ForbiddenError, isUuid, NotFoundError, Page, Role, toPage } from '@app/common';
import { CallerDirectory } from '../access/caller-directory';
import { PasswordHasher } from '../passwords/password-hasher';
import { AuditTrail } from '@app/audit';
import { Transaction, UnitOfWork } from '@app/database';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQueryDto } from './dto/list-users.query.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { toUserDto, UserDto } from './dto/user.dto';
import { UserEntity } from './entities/user.entity';
import { UserEmailTaken, UsersRepository } from './users.repository';

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** How a user came to be, for the audit trail. */
export type UserSource = 'api' | 'bootstrap' | 'cli';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly refreshTokens: RefreshTokensRepository,
    private readonly transactions: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditTrail,
    private readonly directory: CallerDirectory,
  ) {}

  async create(input: CreateUserDto, actor: Actor | null, source: UserSource = 'api'): Promise<UserDto> {
    const email = normalizeEmail(input.email);
    const passwordHash = await this.hasher.hash(input.password);
    try {
      return await this.transactions.run(async (tx) => {
        const user = await this.users.insert({ email, passwordHash, roles: [...new Set(input.roles)] }, tx);
        await this.audit.record(
          { action: 'user.created', actor, targetType: 'user', targetId: user.id, details: { email, roles: user.roles, source } },
          tx,
        );
        return toUserDto(user);
      });
    } catch (error) {
      if (error instanceof UserEmailTaken) throw new ConflictError('USER_EMAIL_TAKEN', `A user with email ${email} already exists.`);
      throw error;
    }
  }

  async list(query: ListUsersQueryDto): Promise<Page<UserDto>> {
    const { rows, total } = await this.users.list({
      emailContains: query.q ? query.q.toLowerCase() : undefined,
      role: query.role,
      limit: query.limit,
      offset: query.offset,
    });
    return toPage(rows.map(toUserDto), total, query);
  }

  async get(id: string): Promise<UserDto> {
    const user = isUuid(id) ? await this.users.findById(id) : null;
    if (!user) throw notFound(id);
    return toUserDto(user);
  }

  async findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findByEmail(normalizeEmail(email));
  }

  async findById(id: string): Promise<UserEntity | null> {
    return isUuid(id) ? this.users.findById(id) : null;
  }

  async anyEnabledAdmin(): Promise<boolean> {
    return (await this.users.countEnabledAdmins()) > 0;
  }

  async update(id: string, patch: UpdateUserDto, actor: Actor): Promise<UserDto> {
    const passwordHash = patch.password === undefined ? undefined : await this.hasher.hash(patch.password);
    try {
      return await this.transactions.run(async (tx) => {
        const user = await this.lockExisting(id, tx);
        const before = { email: user.email, roles: [...user.roles], disabled: user.disabled, approver: user.approver };
        const after = {
          email: patch.email === undefined ? before.email : normalizeEmail(patch.email),
          roles: patch.roles === undefined ? before.roles : [...new Set(patch.roles)],
          disabled: patch.disabled ?? before.disabled,
          approver: patch.approver ?? before.approver,
        };
        if (isEnabledAdmin(before) && !isEnabledAdmin(after)) await this.keepAnAdmin(id, tx);

        const changed = (Object.keys(after) as (keyof typeof after)[]).filter(
          (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
        );
        Object.assign(user, after, passwordHash ? { passwordHash } : {});
        // A new password, other roles or another enabled state refuse every access token issued
        // before (the row is locked: the increment cannot be lost to a concurrent change).
        if (passwordHash || changed.includes('roles') || changed.includes('disabled')) user.credentialVersion += 1;
        const saved = await this.users.save(user, tx);
        // A new password or a disabled account ends every session (refresh-token family) at once.
        if (passwordHash || (after.disabled && !before.disabled)) await this.refreshTokens.revokeAllForUser(id, tx);
        const details: Record<string, unknown> = { changed: passwordHash ? [...changed, 'password'] : changed };
        for (const k of changed) details[k] = { from: before[k], to: after[k] };
        await this.audit.record({ action: 'user.updated', actor, targetType: 'user', targetId: id, details }, tx);
        return toUserDto(saved);
      });
    } catch (error) {
      if (error instanceof UserEmailTaken) throw new ConflictError('USER_EMAIL_TAKEN', 'Another user already has this email.');
      throw error;
    } finally {
      this.directory.forgetUser(id);
    }
  }

  async remove(id: string, actor: Actor): Promise<void> {
    try {
      await this.transactions.run(async (tx) => {
        const user = await this.lockExisting(id, tx);
        if (isEnabledAdmin(user)) await this.keepAnAdmin(id, tx);
        await this.users.delete(id, tx);
        await this.audit.record(
          { action: 'user.deleted', actor, targetType: 'user', targetId: id, details: { email: user.email, roles: user.roles } },
          tx,
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
    const changed = await this.transactions.run(async (tx) => {
      // Only over the hash that was verified: a change or reset in between wins, and this one fails.
      if (!(await this.users.changePassword(user.id, user.passwordHash, passwordHash, tx))) return false;
      await this.refreshTokens.revokeAllForUser(user.id, tx);
      await this.audit.record({ action: 'user.password-changed', actor, targetType: 'user', targetId: user.id }, tx);
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
    await this.users.rehash(user.id, user.passwordHash, passwordHash);
  }

  /** The user's row, locked (FOR UPDATE) until the transaction ends: always the first lock taken. */
  private async lockExisting(id: string, tx: Transaction): Promise<UserEntity> {
    const user = isUuid(id) ? await this.users.findByIdForUpdate(id, tx) : null;
    if (!user) throw notFound(id);
    return user;
  }

  /**
   * Refuses to leave the system without an enabled admin. Locks every enabled admin row, so two
   * admins demoting each other at the same moment cannot both succeed.
   */
  private async keepAnAdmin(leavingId: string, tx: Transaction): Promise<void> {
    const admins = await this.users.lockEnabledAdminIds(tx);
    if (!admins.some((adminId) => adminId !== leavingId)) {
      throw new ConflictError('LAST_ADMIN', 'This is the last enabled admin; make another admin first.');
    }
  }
}

function isEnabledAdmin(u: { roles: readonly Role[]; disabled: boolean }): boolean {
  return !u.disabled && u.roles.includes('admin');
}

function notFound(id: string): NotFoundError {
  return new NotFoundError('USER_NOT_FOUND', `User ${id} does not exist.`);
}
