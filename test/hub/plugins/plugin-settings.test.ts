/**
 * The installer sets the alarm receiving centre account from the web app: the settings are
 * validated, stored, applied by restarting only that plugin, kept across a hub restart, and the
 * AES key is never shown back, logged or audited.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SiaDc09Plugin } from '../../../plugins/sia-dc09/plugin.js';
import { ApiClient, INSTALLER, invitedClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import { startTestHub, type TestHub, tempDir } from '../../helpers/hub.js';

const KEY = '00112233445566778899AABBCCDDEEFF';

describe('plugin settings from the web app', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('sets the ARC account, sends a test signal, keeps the settings across a restart and never reveals the key', async () => {
    const arc = new Dc09TestReceiver({ key: Buffer.from(KEY, 'hex') });
    await arc.start();
    cleanup.push(() => arc.stop());
    const dataDir = await tempDir();
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));

    let t: TestHub = await startTestHub({ dataDir, plugins: [new SiaDc09Plugin()] });
    const first = t;
    cleanup.push(() => first.close());
    const installer = new ApiClient(t.url);
    expect((await installer.post('/api/setup', { code: t.setupCode, ...INSTALLER, role: 'installer' })).status).toBe(200);
    expect((await installer.login(INSTALLER.username, INSTALLER.password)).status).toBe(200);

    // Nothing set up yet: no police channel to test.
    expect((await installer.post('/api/alerts/test', {})).status).toBe(404);

    const bad = await installer.put('/api/plugins/sia-dc09/settings', { enabled: true, host: '127.0.0.1', port: 'twelve' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('plugins.sia-dc09.port');

    const saved = await installer.put<{ settings: Record<string, unknown> }>('/api/plugins/sia-dc09/settings', {
      enabled: true,
      host: '127.0.0.1',
      port: arc.port,
      account: '1234AB',
      receiver: '12',
      line: '3',
      key: KEY,
      linkTestSeconds: 0,
    });
    expect(saved.status).toBe(200);
    expect(saved.body.settings).toMatchObject({ enabled: true, port: arc.port, account: '1234AB', key: '********' });
    const test = await installer.post<{ ok: boolean; acknowledged: boolean }>('/api/alerts/test', {});
    expect(test.body).toMatchObject({ ok: true, acknowledged: true });
    expect(arc.frames.some((f) => f.encrypted)).toBe(true);

    // Roles: police and advocates may not read or change plugin settings.
    const police = await invitedClient(t.url, installer, 'police', 'pc-jones');
    expect((await police.get('/api/plugins/sia-dc09/settings')).status).toBe(403);

    // Sending the masked key back keeps the real one.
    expect((await installer.put('/api/plugins/sia-dc09/settings', { key: '********', line: '4' })).status).toBe(200);
    expect((await installer.post<{ ok: boolean }>('/api/alerts/test', {})).body.ok).toBe(true);
    const audit = await t.hub.core.audit.entries();
    expect(audit.filter((e) => e.action === 'plugin.settings_changed')).toHaveLength(2);
    expect(JSON.stringify(audit)).not.toContain(KEY);
    expect(t.logs.text()).not.toContain(KEY);
    await t.close();
    cleanup.pop();

    // After a restart the saved settings are still in force.
    t = await startTestHub({ dataDir, plugins: [new SiaDc09Plugin()] });
    const second = t;
    cleanup.push(() => second.close());
    const again = new ApiClient(t.url);
    expect((await again.login(INSTALLER.username, INSTALLER.password)).status).toBe(200);
    const after = await again.get<{ settings: Record<string, unknown> }>('/api/plugins/sia-dc09/settings');
    expect(after.body.settings).toMatchObject({ port: arc.port, line: '4', key: '********' });
    expect((await again.post<{ ok: boolean; acknowledged: boolean }>('/api/alerts/test', {})).body).toMatchObject({
      ok: true,
      acknowledged: true,
    });
  });
});
