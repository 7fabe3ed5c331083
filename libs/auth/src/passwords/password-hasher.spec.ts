import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher({ passwords: { scryptCost: 14 } });

  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(await hasher.verify('correct horse battery staple', stored)).toBe(true);
    expect(await hasher.verify('correct horse battery stapler', stored)).toBe(false);
  });

  it('salts every hash and never contains the password', async () => {
    const a = await hasher.hash('same password twice');
    const b = await hasher.hash('same password twice');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toContain('same password');
  });

  it('verifies with the parameters stored in the hash and asks for a re-hash when the cost went up', async () => {
    const old = await hasher.hash('a long enough password');
    const stronger = new PasswordHasher({ passwords: { scryptCost: 15 } });
    expect(await stronger.verify('a long enough password', old)).toBe(true);
    expect(stronger.needsRehash(old)).toBe(true);
    expect(hasher.needsRehash(old)).toBe(false);
  });

  it('treats a malformed stored value as a mismatch', async () => {
    expect(await hasher.verify('x', 'not-a-hash')).toBe(false);
    expect(await hasher.verifyAgainstNothing('anything')).toBe(false);
  });

  it('normalises Unicode so the same visible password verifies', async () => {
    const stored = await hasher.hash('caf\u00e9-password-1');
    expect(await hasher.verify('cafe\u0301-password-1', stored)).toBe(true);
  });
});
