/**
 * The hub's identity: an Ed25519 key pair made at first start. The private key never leaves the
 * data folder (0600); the public key and its fingerprint go into every evidence package so an
 * officer can tell which hub signed it, and compare the fingerprint with the one `GET /api`
 * shows on the victim's hub.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../api/errors.js';

export const IDENTITY_DIR = 'identity';
export const PRIVATE_KEY_FILE = 'hub-ed25519.key';
export const PUBLIC_KEY_FILE = 'hub-ed25519.pub.pem';

export interface PublicIdentity {
  /** Stable id of this hub: the first 16 hex digits of the fingerprint. */
  hubId: string;
  algorithm: 'ed25519';
  publicKeyPem: string;
  /** SHA-256 (hex) of the public key in DER SubjectPublicKeyInfo form. */
  fingerprint: string;
}

/**
 * SHA-256 of the DER SubjectPublicKeyInfo, hex. With standard tools:
 * `openssl pkey -pubin -in hub-public-key.pem -outform DER | sha256sum`.
 */
export function publicKeyFingerprint(key: KeyObject | string): string {
  const k = typeof key === 'string' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(k.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** Formats a fingerprint in groups of four for reading aloud over the phone. */
export function formatFingerprint(fp: string): string {
  return fp.match(/.{1,4}/g)?.join(' ') ?? fp;
}

export function verifyEd25519(publicKeyPem: string, data: Buffer, signature: Buffer): boolean {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType !== 'ed25519') return false;
  return verify(null, data, key, signature);
}

export class HubIdentity {
  private constructor(
    private readonly privateKey: KeyObject,
    readonly info: PublicIdentity,
  ) {}

  /** Loads the key pair from `<dataDir>/identity/`, making it on first start. */
  static async loadOrCreate(dataDir: string): Promise<{ identity: HubIdentity; created: boolean }> {
    const dir = join(dataDir, IDENTITY_DIR);
    const keyPath = join(dir, PRIVATE_KEY_FILE);
    let pem: string | null = null;
    try {
      pem = await readFile(keyPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new HubError('HUB_ERR_EVIDENCE', `cannot read the hub key ${keyPath}`, { cause: err });
      }
    }
    if (pem !== null) {
      const mode = (await stat(keyPath)).mode & 0o777;
      // A key someone loosened is put back to owner-only rather than refused: the hub must start.
      if (mode !== 0o600) await chmod(keyPath, 0o600);
      let key: KeyObject;
      try {
        key = createPrivateKey(pem);
      } catch (err) {
        throw new HubError('HUB_ERR_EVIDENCE', `the hub key ${keyPath} is not a valid private key`, { cause: err });
      }
      if (key.asymmetricKeyType !== 'ed25519') {
        throw new HubError('HUB_ERR_EVIDENCE', `the hub key ${keyPath} is ${key.asymmetricKeyType}, expected ed25519`);
      }
      return { identity: HubIdentity.fromPrivateKey(key), created: false };
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    // 'wx' fails if another process made the key between our read and write: never overwrite a key.
    await writeFile(keyPath, privatePem, { mode: 0o600, flag: 'wx' });
    await chmod(keyPath, 0o600);
    await writeFile(join(dir, PUBLIC_KEY_FILE), publicKey.export({ type: 'spki', format: 'pem' }) as string, { mode: 0o644 });
    return { identity: HubIdentity.fromPrivateKey(privateKey), created: true };
  }

  private static fromPrivateKey(privateKey: KeyObject): HubIdentity {
    const publicKey = createPublicKey(privateKey);
    const fingerprint = publicKeyFingerprint(publicKey);
    return new HubIdentity(privateKey, {
      hubId: fingerprint.slice(0, 16),
      algorithm: 'ed25519',
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
      fingerprint,
    });
  }

  /** Ed25519 signature over the exact bytes given. */
  sign(data: Buffer): Buffer {
    return sign(null, data, this.privateKey);
  }
}
