/**
 * Camera passwords are stored apart from the settings, kept when an edit leaves them out (or
 * sends back the old mask), never in what the API shows, and moved out of settings saved by
 * older versions. Real SQLite in a temp dir.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publicCamera } from '../../../hub/devices/camera-secrets.js';
import { HubDeviceRegistry } from '../../../hub/devices/registry.js';
import { Database } from '../../../hub/storage/database.js';
import { migrate } from '../../../hub/storage/migrate.js';
import { tempDir } from '../../helpers/hub.js';
import { LogCapture } from '../../helpers/log-capture.js';

const SECRET = 'Tr0ub4dor-and-3';

describe('camera credentials', () => {
  let dir: string;
  let db: Database;
  let logs: LogCapture;
  let reg: HubDeviceRegistry;

  beforeEach(async () => {
    dir = await tempDir('sanctuary-secrets-');
    db = await Database.open(join(dir, 'hub.db'));
    await migrate(db);
    logs = new LogCapture();
    reg = new HubDeviceRegistry(db, logs.logger);
    await reg.load();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const rawBody = async (id: string) => (await db.get<{ body: string }>('SELECT body FROM devices WHERE id = ?', [id]))?.body ?? '';
  const secretRow = async (id: string) =>
    (await db.get<{ password: string }>('SELECT password FROM device_secrets WHERE device_id = ?', [id]))?.password;

  it('user info typed into RTSP and snapshot URLs is taken out and stored apart; the API shows only hasPassword', async () => {
    const cam = await reg.upsertCamera({
      id: 'door',
      name: 'Door',
      source: {
        type: 'rtsp',
        mainUrl: `rtsp://admin:${encodeURIComponent(SECRET)}@192.0.2.10:554/Streaming/Channels/101`,
        subUrl: `rtsp://admin:${encodeURIComponent(SECRET)}@192.0.2.10:554/Streaming/Channels/102`,
        snapshotUrl: `http://admin:${encodeURIComponent(SECRET)}@192.0.2.10/ISAPI/Streaming/channels/101/picture`,
      },
    });
    expect(cam.source).toEqual({
      type: 'rtsp',
      mainUrl: 'rtsp://192.0.2.10:554/Streaming/Channels/101',
      subUrl: 'rtsp://192.0.2.10:554/Streaming/Channels/102',
      snapshotUrl: 'http://192.0.2.10/ISAPI/Streaming/channels/101/picture',
      username: 'admin',
      password: SECRET,
    });
    expect(await rawBody('door')).not.toContain(SECRET);
    expect(await rawBody('door')).not.toContain(encodeURIComponent(SECRET));
    expect(await secretRow('door')).toBe(SECRET);
    const shown = JSON.stringify(publicCamera(cam));
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain('********');
    expect(publicCamera(cam).source.hasPassword).toBe(true);
  });

  it('an edit that leaves the password out, or sends the old mask, keeps the stored one; an empty one clears it', async () => {
    await reg.upsertCamera({ id: 'door', name: 'Door', source: { type: 'rtsp', mainUrl: `rtsp://admin:${SECRET}@192.0.2.10/live` } });
    // What the installer page sends for "Save zones": the camera as GET showed it, zones changed.
    const shown = publicCamera(reg.camera('door') ?? expect.fail('saved'));
    const { id: _id, ...asShown } = shown;
    await reg.upsertCamera({
      ...asShown,
      id: 'door',
      detect: {
        ...shown.detect,
        zones: [
          {
            name: 'path',
            points: [
              [0, 0],
              [1, 0],
              [1, 1],
            ],
          },
        ],
      },
    });
    expect(reg.camera('door')?.source.password).toBe(SECRET);
    expect(reg.camera('door')?.detect.zones).toHaveLength(1);
    // An older page sent the mask back inside the URL.
    await reg.upsertCamera({ id: 'door', name: 'Door', source: { type: 'rtsp', mainUrl: 'rtsp://admin:********@192.0.2.10/live' } });
    expect(reg.camera('door')?.source).toMatchObject({ mainUrl: 'rtsp://192.0.2.10/live', username: 'admin', password: SECRET });
    await reg.upsertCamera({ id: 'door', name: 'Door', source: { type: 'rtsp', mainUrl: 'rtsp://192.0.2.10/live', password: 'n3w-one' } });
    expect(await secretRow('door')).toBe('n3w-one');
    await reg.upsertCamera({ id: 'door', name: 'Door', source: { type: 'rtsp', mainUrl: 'rtsp://192.0.2.10/live', password: '' } });
    expect(await secretRow('door')).toBeUndefined();
    expect(publicCamera(reg.camera('door') ?? expect.fail('saved')).source.hasPassword).toBe(false);
  });

  it('ONVIF: the mask or a missing password keeps the stored one; a new one replaces it', async () => {
    await reg.upsertCamera({
      id: 'bell',
      name: 'Bell',
      source: { type: 'onvif', host: '192.0.2.11', username: 'admin', password: SECRET },
    });
    expect(await rawBody('bell')).not.toContain(SECRET);
    await reg.upsertCamera({
      id: 'bell',
      name: 'Bell',
      source: { type: 'onvif', host: '192.0.2.11', username: 'admin', password: '********' },
    });
    expect(reg.camera('bell')?.source.password).toBe(SECRET);
    await reg.upsertCamera({
      id: 'bell',
      name: 'Bell',
      source: { type: 'onvif', host: '192.0.2.11', username: 'admin', hasPassword: true },
    });
    expect(reg.camera('bell')?.source.password).toBe(SECRET);
    // Reloaded from disk: the password comes back from device_secrets.
    const again = new HubDeviceRegistry(db, logs.logger);
    await again.load();
    expect(again.camera('bell')?.source.password).toBe(SECRET);
  });

  it('different credentials in the main and sub stream URLs are refused with the field named', async () => {
    await expect(
      reg.upsertCamera({
        id: 'door',
        name: 'Door',
        source: { type: 'rtsp', mainUrl: 'rtsp://admin:one@192.0.2.10/main', subUrl: 'rtsp://viewer:two@192.0.2.10/sub' },
      }),
    ).rejects.toThrow(/source\.subUrl: use the same user name and password as source\.mainUrl/);
  });

  it('settings saved by an older hub (password inside the URL or the ONVIF source) are moved apart on load', async () => {
    const now = Date.now();
    const legacyRtsp = { id: 'door', name: 'Door', source: { type: 'rtsp', mainUrl: `rtsp://admin:${SECRET}@192.0.2.10/live` } };
    const legacyOnvif = {
      id: 'bell',
      name: 'Bell',
      source: { type: 'onvif', host: '192.0.2.11', port: 80, username: 'admin', password: SECRET },
    };
    for (const d of [legacyRtsp, legacyOnvif]) {
      await db.run('INSERT INTO devices (id, type, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
        d.id,
        'camera',
        JSON.stringify(d),
        now,
        now,
      ]);
    }
    const fresh = new HubDeviceRegistry(db, logs.logger);
    await fresh.load();
    expect(fresh.camera('door')?.source).toMatchObject({ mainUrl: 'rtsp://192.0.2.10/live', username: 'admin', password: SECRET });
    expect(fresh.camera('bell')?.source.password).toBe(SECRET);
    expect(await rawBody('door')).not.toContain(SECRET);
    expect(await rawBody('bell')).not.toContain(SECRET);
    expect(await secretRow('door')).toBe(SECRET);
    expect(logs.text()).not.toContain(SECRET);
    await fresh.remove('door');
    expect(await secretRow('door')).toBeUndefined();
  });
});
