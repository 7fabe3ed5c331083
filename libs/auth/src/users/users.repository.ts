import type { Role } from '@app/common';
import type { Transaction } from '@app/database';
import type { UserEntity } from './entities/user.entity';

/** Another user already has this (normalised) email: the unique constraint refused the write. */
export class UserEmailTaken extends Error {
  constructor() {
    super('A user with this email already exists.');
    this.name = 'UserEmailTaken';
  }
}

export interface NewUser {
  email: string;
  passwordHash: string;
  roles: Role[];
}

export interface UserFilter {
  /** A substring of the (lower-case) email, matched literally. */
  emailContains?: string;
  role?: Role;
  limit: number;
  offset: number;
}

/** What the caller directory keeps of a user. */
export type UserStanding = Pick<UserEntity, 'id' | 'email' | 'roles' | 'disabled' | 'credentialVersion' | 'approver'>;

/** What a new session is checked against. */
export type SessionStanding = Pick<UserEntity, 'id' | 'disabled' | 'credentialVersion'>;

/**
 * The users table. Lock order, wherever several rows are taken: the user's row first, then every
 * enabled admin's (by id), then the user's refresh tokens (RefreshTokensRepository).
 */
export abstract class UsersRepository {
  /** Throws UserEmailTaken when the email is in use. */
  abstract insert(user: NewUser, tx?: Transaction): Promise<UserEntity>;
  /** Oldest first (created_at, id); `total` counts every match. */
  abstract list(filter: UserFilter): Promise<{ rows: UserEntity[]; total: number }>;
  abstract findById(id: string, tx?: Transaction): Promise<UserEntity | null>;
  /** Locks the row (FOR UPDATE) until the transaction ends. */
  abstract findByIdForUpdate(id: string, tx: Transaction): Promise<UserEntity | null>;
  /** Holds the row (FOR SHARE) until the transaction ends: credential changes wait for it. */
  abstract findByIdForShare(id: string, tx: Transaction): Promise<UserEntity | null>;
  abstract findByEmail(email: string): Promise<UserEntity | null>;
  abstract findStanding(id: string): Promise<UserStanding | null>;
  /** FOR SHARE, like findByIdForShare, reading only what a new session is checked against. */
  abstract findSessionStandingForShare(id: string, tx: Transaction): Promise<SessionStanding | null>;
  abstract countEnabledAdmins(): Promise<number>;
  /** Locks every enabled admin's row (FOR UPDATE, in id order) and returns their ids. */
  abstract lockEnabledAdminIds(tx: Transaction): Promise<string[]>;
  /** Writes the user's changed fields (and updatedAt); throws UserEmailTaken when the email is in use. */
  abstract save(user: UserEntity, tx: Transaction): Promise<UserEntity>;
  abstract delete(id: string, tx: Transaction): Promise<void>;
  /**
   * Replaces the password hash and moves the credential version on, only while the stored hash is
   * still `expectedHash`. False when it changed meanwhile (or the user is gone).
   */
  abstract changePassword(id: string, expectedHash: string, passwordHash: string, tx: Transaction): Promise<boolean>;
  /** Replaces the hash only while it is still `expectedHash`; the credential version stays. */
  abstract rehash(id: string, expectedHash: string, passwordHash: string): Promise<void>;
}
