import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConflictError, InjectConfig } from '@app/common';
import { authConfig, type AuthConfig } from '../auth.config';
import { UsersService } from './users.service';

/** What a start-up without any admin says: nobody can sign in yet, and the two ways to fix that. */
export const NO_ADMIN_WARNING =
  'No admin user exists yet, so nobody can sign in. Create the first one either by starting with ' +
  "ADMIN_EMAIL=you@example.com ADMIN_PASSWORD='at least 12 characters' (created at start-up), " +
  'or with: npm run cli -- create-user --email you@example.com --role admin (prints a generated password).';

/**
 * A fresh installation needs one admin to create everyone else: ADMIN_EMAIL / ADMIN_PASSWORD make
 * one at start-up, only while no enabled admin exists (so the variables are harmless afterwards).
 * Without them, and without an admin, start-up warns how to make one.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrap.name);

  constructor(
    @InjectConfig(authConfig) private readonly config: AuthConfig,
    private readonly users: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.bootstrapAdmin;
    if (await this.users.anyEnabledAdmin()) return;
    if (!admin) {
      this.logger.warn(NO_ADMIN_WARNING);
      return;
    }
    if (await this.users.findByEmail(admin.email)) {
      this.logger.warn(`No enabled admin exists, but ${admin.email} is taken by a non-admin user: not changing it. Use the CLI.`);
      return;
    }
    try {
      await this.users.create({ email: admin.email, password: admin.password, roles: ['admin'] }, null, 'bootstrap');
      this.logger.log(`Created the first admin ${admin.email} from ADMIN_EMAIL.`);
    } catch (error) {
      // Another replica starting at the same moment made it first.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}
