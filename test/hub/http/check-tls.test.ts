import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCheck } from '../../../hub/cli/check.js';
import { validateConfig } from '../../../hub/config/load.js';
import { loadOrCreateTls } from '../../../hub/http/tls.js';
import { tempDir } from '../../helpers/hub.js';

const DAY = 24 * 3600 * 1000;

describe('sanctuary check: certificate expiry', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function check(config: object, dataDir: string, now: number): Promise<{ code: number; tls: string }> {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const code = await runCheck(validateConfig({ version: 1, mqtt: { embedded: { port: 0 } }, ...config }), dataDir, now);
    vi.restoreAllMocks();
    return { code, tls: out.find((l) => / tls /.test(l)) ?? '' };
  }

  it('reports the validity of the hub certificate and fails an expired brought one', async () => {
    const dataDir = await tempDir();
    dirs.push(dataDir);
    expect((await check({}, dataDir, Date.now())).tls).toMatch(/^ok .*makes its own CA/);
    const own = await loadOrCreateTls(dataDir, { enabled: true, certFile: null, keyFile: null, caFile: null, names: [] });
    expect((await check({}, dataDir, Date.now())).tls).toMatch(/^ok .*valid until \d{4}-\d\d-\d\d \(39\d days\)/);
    expect((await check({}, dataDir, own.notAfter - 10 * DAY)).tls).toMatch(/^warn .*expires in \d+ days.*renews it/);

    const files = {
      http: { tls: { certFile: join(dataDir, 'tls', 'server.crt'), keyFile: join(dataDir, 'tls', 'server.key') } },
    };
    const expired = await check(files, dataDir, own.notAfter + DAY);
    expect(expired.tls).toMatch(/^FAIL .*expired on .*renew/);
    expect(expired.code).toBe(1);
  });
});
