import { afterEach, describe, expect, it } from 'vitest';
import { invitedClient, ownerClient } from '../../helpers/api-client.js';
import { startTestHub, type TestHub } from '../../helpers/hub.js';

interface ConsentView {
  version: number;
  settings: { kinds: Record<string, string>; share: Record<string, boolean> };
  changedBy: string | null;
  sessionId: string | null;
  alarmActive: boolean;
  descriptions: { kinds: Record<string, string>; share: string; reach: string };
}

describe('consent: owned by the victim, versioned, never overwritten', () => {
  let t: TestHub | null = null;
  afterEach(async () => {
    await t?.close();
    t = null;
  });

  it('defaults to nothing leaving the home, described in plain words', async () => {
    t = await startTestHub({ config: { home: { address: '1 Example Street' } } });
    const owner = await ownerClient(t.url, t.setupCode);
    const r = await owner.get<ConsentView>('/api/consent');
    expect(r.status).toBe(200);
    expect(r.body.version).toBe(0);
    expect(Object.values(r.body.settings.kinds).every((m) => m === 'never')).toBe(true);
    expect(r.body.settings.share).toEqual({ location: false, snapshot: false, clipLink: false });
    // In the words of the app's controls: the help button says "Hold for help".
    expect(r.body.descriptions.kinds.panic).toBe('If you hold the help button, the police are not told. Nothing leaves your home.');
    expect(r.body.descriptions.share).toBe(
      'When the police are told, they get only what happened, where in the house and when: not your address, a photo or the video.',
    );

    // "Straight away" is not promised while nothing can reach the police (no alarm receiving centre here).
    const changed = await owner.put<ConsentView>('/api/consent', { kinds: { panic: 'automatic' }, share: { location: true } });
    expect(changed.body.descriptions.kinds.panic).toBe(
      'If you hold the help button, the hub tells the police straight away, with what happened, when, and your address. ' +
        'Nothing sounds and nothing shows on this phone. ' +
        'But no alarm receiving centre is set up on this hub, so nothing can go: ask your installer.',
    );
    expect(changed.body.descriptions.reach).toMatch(/^No alarm receiving centre is set up on this hub/);
    expect(changed.body.descriptions.share).toBe('When the police are told, they also get your address.');

    // A photo or video cannot go without an address the police can reach the hub at: it says so.
    const photo = await owner.put<ConsentView>('/api/consent', { share: { snapshot: true } });
    expect(photo.body.descriptions.share).toBe(
      'When the police are told, they also get your address and a photo from the camera. ' +
        'A photo or video cannot go yet: the police have no way to reach the hub for it (your installer can set this up).',
    );
  });

  it('only the owner can read or change it: installer, police and advocate get 403', async () => {
    t = await startTestHub();
    const owner = await ownerClient(t.url, t.setupCode);
    const others = [
      await invitedClient(t.url, owner, 'installer', 'ivy'),
      await invitedClient(t.url, owner, 'police', 'pc-jones'),
      await invitedClient(t.url, owner, 'advocate', 'ada'),
    ];
    for (const c of others) {
      expect((await c.put('/api/consent', { kinds: { panic: 'automatic' } })).status).toBe(403);
      expect((await c.get('/api/consent')).status).toBe(403);
      expect((await c.get('/api/consent/history')).status).toBe(403);
      expect((await c.get('/api/alerts')).status).toBe(403);
    }
    const r = await owner.get<ConsentView>('/api/consent');
    expect(r.body.version).toBe(0);
  });

  it('every change is a new version with who, when, which session and whether an alarm was active', async () => {
    t = await startTestHub();
    const owner = await ownerClient(t.url, t.setupCode);
    const me = (await owner.get<{ user: { id: string } }>('/api/session')).body.user.id;
    const events: number[] = [];
    t.hub.bus.on('consent.changed', 'test', (e) => {
      events.push(e.version);
    });
    await owner.put('/api/consent', { kinds: { panic: 'automatic', intrusion: 'ask' } });
    t.hub.bus.emit('alarm.state_changed', {
      source: 'alarm',
      from: 'armed_away',
      to: 'triggered',
      mode: 'armed_away',
      reason: 'test',
      userId: null,
      delayEndsAt: null,
    });
    await owner.put('/api/consent', { kinds: { panic: 'never' }, share: { clipLink: true } });

    const h = await owner.get<{ versions: ConsentView[] }>('/api/consent/history');
    expect(h.body.versions.map((v) => v.version)).toEqual([2, 1, 0]);
    const [v2, v1] = h.body.versions;
    expect(v1?.settings.kinds).toMatchObject({ panic: 'automatic', intrusion: 'ask', duress: 'never' });
    expect(v2?.settings.kinds).toMatchObject({ panic: 'never', intrusion: 'ask' });
    expect(v2?.settings.share.clipLink).toBe(true);
    expect(v1).toMatchObject({ changedBy: me, alarmActive: false });
    expect(v2).toMatchObject({ changedBy: me, alarmActive: true });
    expect(v1?.sessionId).toMatch(/^[0-9a-f]{16}$/);
    expect(events).toEqual([1, 2]);

    const audit = await t.hub.core.audit.entries();
    expect(audit.filter((e) => e.action === 'consent.changed').map((e) => e.subject.version)).toEqual([1, 2]);
    // Stored versions cannot be edited underneath the API either.
    await expect(t.hub.core.db.run("UPDATE consent_versions SET settings = '{}' WHERE version = 1")).rejects.toThrow(/never overwritten/);
  });

  it('refuses "ask" for duress and names the bad field', async () => {
    t = await startTestHub();
    const owner = await ownerClient(t.url, t.setupCode);
    const r = await owner.put<{ error: { code: string; message: string } }>('/api/consent', { kinds: { duress: 'ask' } });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('HUB_ERR_VALIDATION');
    expect(r.body.error.message).toMatch(/duress/);
    expect((await owner.put('/api/consent', { kinds: { panic: 'sometimes' } })).status).toBe(400);
    expect((await owner.get<ConsentView>('/api/consent')).body.version).toBe(0);
  });
});
