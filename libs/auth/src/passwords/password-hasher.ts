import { Injectable } from '@nestjs/common';
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { InjectConfig } from '@app/common';
import { authConfig, type AuthConfig } from '../auth.config';

interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      salt,
      KEY_LENGTH,
      // Memory needed is 128 * N * r bytes; leave headroom over node's 32 MiB default.
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/**
 * Memory-hard password hashing with node's scrypt and a per-password random salt, stored as a PHC
 * string that carries its own parameters: raising PASSWORD_SCRYPT_COST re-hashes at next login.
 * Runs on libuv's thread pool, never blocking the event loop.
 */
@Injectable()
export class PasswordHasher {
  private readonly params: ScryptParams;
  private dummy?: Promise<string>;

  constructor(@InjectConfig(authConfig) config: Pick<AuthConfig, 'passwords'>) {
    this.params = { ln: config.passwords.scryptCost, r: BLOCK_SIZE, p: PARALLELISM };
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const key = await derive(password, salt, this.params);
    const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
    return `$scrypt$ln=${this.params.ln},r=${this.params.r},p=${this.params.p}$${b64(salt)}$${b64(key)}`;
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const m = PHC.exec(stored);
    if (!m) return false;
    const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
    const expected = Buffer.from(m[5], 'base64');
    const actual = await derive(password, Buffer.from(m[4], 'base64'), params);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /**
   * Spends the same time as a real verification when there is no user to verify against, so
   * response times do not reveal which emails have accounts.
   */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(16).toString('hex'));
    await this.verify(password, await this.dummy);
    return false;
  }

  needsRehash(stored: string): boolean {
    const m = PHC.exec(stored);
    return !m || Number(m[1]) < this.params.ln || Number(m[2]) < this.params.r;
  }
}
