/**
 * The hub's identity: an Ed25519 key pair made at first start. The private key never leaves the
 * hub (0600, then sealed to the owner's key: see HubIdentity); the public key and its fingerprint go into every evidence package so an
 * officer can tell which hub signed it, and compare the fingerprint with the one `GET /api`
 * shows on the victim's hub.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../api/errors.js';
import { SealedFile, sealBytes } from '../vault/age-file.js';

export const IDENTITY_DIR = 'identity';
export const PRIVATE_KEY_FILE = 'hub-ed25519.key';
export const PUBLIC_KEY_FILE = 'hub-ed25519.pub.pem';
/** The private key sealed (age) to the owners' keys. */
export const SEALED_KEY_FILE = 'hub-ed25519.key.age';

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

/** Something that signs with the hub key now: taken at the moment the owner approves an export. */
export interface HubSigner {
  readonly info: PublicIdentity;
  sign(data: Buffer): Buffer;
}

export const SIGNING_LOCKED =
  'The hub signs evidence only while the owner is signed in with her password: sign in (or unlock footage) and try again.';

/**
 * The key pair. The private key is on the card in the clear only until the owner has a key of
 * her own (first start, installation); from then on it is kept sealed to the owner's key
 * (`hub-ed25519.key.age`) and is in memory only while an owner is signed in, so whoever takes
 * the card cannot sign a forged evidence package.
 */
export class HubIdentity {
  private constructor(
    private privateKey: KeyObject | null,
    readonly info: PublicIdentity,
    private readonly dir: string,
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
      const key = parsePrivate(pem, keyPath);
      return { identity: HubIdentity.fromPrivateKey(key, dir), created: false };
    }
    if (existsSync(join(dir, SEALED_KEY_FILE))) {
      // Sealed: only the public half is readable until an owner signs in.
      const pubPem = await readFile(join(dir, PUBLIC_KEY_FILE), 'utf8').catch((err: unknown) => {
        throw new HubError('HUB_ERR_EVIDENCE', `the hub key is sealed but its public half ${PUBLIC_KEY_FILE} cannot be read`, {
          cause: err,
        });
      });
      return { identity: new HubIdentity(null, publicInfo(createPublicKey(pubPem)), dir), created: false };
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    // 'wx' fails if another process made the key between our read and write: never overwrite a key.
    await writeFile(keyPath, privatePem, { mode: 0o600, flag: 'wx' });
    await chmod(keyPath, 0o600);
    await writeFile(join(dir, PUBLIC_KEY_FILE), publicKey.export({ type: 'spki', format: 'pem' }) as string, { mode: 0o644 });
    return { identity: HubIdentity.fromPrivateKey(privateKey, dir), created: true };
  }

  private static fromPrivateKey(privateKey: KeyObject, dir: string): HubIdentity {
    return new HubIdentity(privateKey, publicInfo(createPublicKey(privateKey)), dir);
  }

  /** Whether the private key is on the card in the clear (before the owner had a key). */
  get plainOnCard(): boolean {
    return existsSync(join(this.dir, PRIVATE_KEY_FILE));
  }

  get canSign(): boolean {
    return this.privateKey !== null;
  }

  /** Ed25519 signature over the exact bytes given. */
  sign(data: Buffer): Buffer {
    if (!this.privateKey) throw new HubError('HUB_ERR_LOCKED', SIGNING_LOCKED);
    return sign(null, data, this.privateKey);
  }

  /** The key as it is now, for work that outlives the owner's session (an export being built). */
  signer(): HubSigner {
    const key = this.privateKey;
    if (!key) throw new HubError('HUB_ERR_LOCKED', SIGNING_LOCKED);
    return { info: this.info, sign: (data) => sign(null, data, key) };
  }

  /**
   * Seals the private key to the owners' keys and removes the clear copy from the card. The key
   * stays in memory (the owner who caused this is signed in).
   */
  async seal(recipients: string[]): Promise<void> {
    if (!this.privateKey || !recipients.length) return;
    const pem = this.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await sealBytes(Buffer.from(pem), join(this.dir, SEALED_KEY_FILE), recipients, 0o600);
    await rm(join(this.dir, PRIVATE_KEY_FILE), { force: true });
  }

  /** Opens the sealed key with a signed-in owner's key. */
  async unlock(identities: string[]): Promise<void> {
    if (this.privateKey || !identities.length) return;
    const path = join(this.dir, SEALED_KEY_FILE);
    const pem = (await (await SealedFile.open(path, identities)).readAll()).toString('utf8');
    const key = parsePrivate(pem, path);
    if (publicKeyFingerprint(createPublicKey(key)) !== this.info.fingerprint) {
      throw new HubError('HUB_ERR_EVIDENCE', `the sealed hub key ${path} does not match the hub's public key`);
    }
    this.privateKey = key;
  }

  /** No owner is signed in any more: the key leaves memory (never while it is only in the clear). */
  lock(): void {
    if (!this.plainOnCard) this.privateKey = null;
  }
}

function parsePrivate(pem: string, path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new HubError('HUB_ERR_EVIDENCE', `the hub key ${path} is not a valid private key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new HubError('HUB_ERR_EVIDENCE', `the hub key ${path} is ${key.asymmetricKeyType}, expected ed25519`);
  }
  return key;
}

function publicInfo(publicKey: KeyObject): PublicIdentity {
  const fingerprint = publicKeyFingerprint(publicKey);
  return {
    hubId: fingerprint.slice(0, 16),
    algorithm: 'ed25519',
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    fingerprint,
  };
}
