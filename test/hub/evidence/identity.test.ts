/** The hub's signing key: made once, owner-only on disk, the same after a restart, published. */
import { execFile } from 'node:child_process';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { identityModule } from '../../../hub/identity/identity-module.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';

const run = promisify(execFile);

describe('hub identity', () => {
  let t: TestHub | null = null;
  const dirs: string[] = [];
  afterEach(async () => {
    await t?.close();
    t = null;
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('makes an Ed25519 key at first start (0600), keeps it across restarts and shows its fingerprint', async () => {
    const dataDir = await tempDir('sanctuary-id-');
    dirs.push(dataDir);
    t = await startTestHub({ modules: [identityModule()], dataDir });
    const keyPath = join(dataDir, 'identity', 'hub-ed25519.key');
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
    const api = (await (await fetch(`${t.url}/api`)).json()) as { hubFingerprint: string };
    const id = (await (await fetch(`${t.url}/api/identity`)).json()) as {
      hubId: string;
      fingerprint: string;
      publicKeyPem: string;
      algorithm: string;
    };
    expect(id.algorithm).toBe('ed25519');
    expect(api.hubFingerprint).toBe(id.fingerprint);
    expect(id.hubId).toBe(id.fingerprint.slice(0, 16));
    // The fingerprint is what standard tools compute from the public key.
    const ssl = await run('sh', ['-c', `openssl pkey -in '${keyPath}' -pubout -outform DER | sha256sum`]);
    expect(ssl.stdout.split(' ')[0]).toBe(id.fingerprint);
    expect(JSON.stringify(id)).not.toContain('PRIVATE');
    const created = (await t.hub.core.audit.entries()).filter((e) => e.action === 'identity.created');
    expect(created.map((e) => e.subject.fingerprint)).toEqual([id.fingerprint]);
    const before = await readFile(keyPath, 'utf8');
    await t.close();

    t = await startTestHub({ modules: [identityModule()], dataDir });
    const again = (await (await fetch(`${t.url}/api/identity`)).json()) as { fingerprint: string };
    expect(again.fingerprint).toBe(id.fingerprint);
    expect(await readFile(keyPath, 'utf8')).toBe(before);
    expect((await t.hub.core.audit.entries()).filter((e) => e.action === 'identity.created')).toHaveLength(1);
  });

  it('refuses to start on a damaged key rather than silently making a new identity', async () => {
    const dataDir = await tempDir('sanctuary-id-');
    dirs.push(dataDir);
    t = await startTestHub({ modules: [identityModule()], dataDir });
    await t.close();
    t = null;
    await writeFile(join(dataDir, 'identity', 'hub-ed25519.key'), 'not a key');
    await expect(startTestHub({ modules: [identityModule()], dataDir })).rejects.toThrow(/is not a valid private key/);
  });
});
