/**
 * Wrapping an account's private key under a secret a person knows (the password, or the owner's
 * recovery code): scrypt derives a 256-bit key (the same cost as the password hash: a thief who
 * holds the card can guess offline against either, so a stronger wrap would buy nothing), and
 * AES-256-GCM seals the key with the account id as associated data, so a wrapped key cannot be
 * moved to another account's row.
 *
 * Stored form: `wrap1$scrypt$<N>$<r>$<p>$<salt>$<iv>$<ciphertext+tag>` (base64 parts).
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb } from 'node:crypto';
import { promisify } from 'node:util';
import { humanCode, normaliseCode } from '../auth/passwords.js';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: object) => Promise<Buffer>;
const N = 16384;
const R = 8;
const P = 1;

export async function wrapSecret(secret: string, passphrase: string, accountId: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(passphrase, salt, 32, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 });
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(accountId));
  const ct = Buffer.concat([c.update(secret, 'utf8'), c.final(), c.getAuthTag()]);
  return ['wrap1', 'scrypt', N, R, P, salt.toString('base64'), iv.toString('base64'), ct.toString('base64')].join('$');
}

/** The secret, or null when the passphrase is not the one it was wrapped with. */
export async function unwrapSecret(wrapped: string, passphrase: string, accountId: string): Promise<string | null> {
  const parts = wrapped.split('$');
  if (parts.length !== 8 || parts[0] !== 'wrap1' || parts[1] !== 'scrypt') throw new Error('not a wrapped key');
  const [, , n, r, p, salt, iv, ct] = parts as [string, string, string, string, string, string, string, string];
  const key = await scrypt(passphrase, Buffer.from(salt, 'base64'), 32, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  const body = Buffer.from(ct, 'base64');
  if (body.length < 17) return null;
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  d.setAAD(Buffer.from(accountId));
  d.setAuthTag(body.subarray(body.length - 16));
  try {
    return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}

/**
 * A recovery code: 20 characters from a 32-letter alphabet with no look-alikes (100 bits),
 * shown in five groups of four. Typed back without dashes, spaces or case mattering.
 */
export function newRecoveryCode(): string {
  const groups = [humanCode(), humanCode()].join('-').split('-').slice(0, 5);
  return groups.join('-');
}

export function normaliseRecoveryCode(code: string): string {
  return normaliseCode(code);
}
