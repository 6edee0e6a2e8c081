/**
 * Verification links end to end: the link in a consented panic, as the suite's DC-09 receiver
 * gets it in the extended data, opens that alert's snapshot without an account, refuses another
 * clip's id and what was not consented, stops at expiry (fake clock), can be withdrawn by the
 * owner, and every opening is in the audit log.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../../hub/alerts/config.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import { setConsent, signIn, startAlertHub } from '../../hub/alerts/alert-hub.js';

const BASE = 'https://hub.example.org';

class FakeClock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
}

async function saveClip(t: TestHub, label: string): Promise<{ id: string; jpeg: Buffer }> {
  const id = randomUUID();
  await mkdir(join(t.dataDir, 'clips'), { recursive: true });
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(`snapshot ${label}`), Buffer.from([0xff, 0xd9])]);
  const mp4 = Buffer.from(`not really an mp4: ${label}`);
  await writeFile(join(t.dataDir, 'clips', `${id}.jpg`), jpeg);
  await writeFile(join(t.dataDir, 'clips', `${id}.mp4`), mp4);
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const now = t.hub.core.clock.now();
  await t.hub.core.footage.addClip({
    id,
    cameraId: 'doorbell',
    trigger: 'person',
    path: `clips/${id}.mp4`,
    sha256: sha(mp4),
    size: mp4.length,
    startTs: now - 10_000,
    endTs: now,
    snapshotPath: `clips/${id}.jpg`,
    snapshotSha256: sha(jpeg),
    correlationId: null,
  });
  t.hub.bus.emit('clip.saved', {
    source: 'recorder',
    clipId: id,
    cameraId: 'doorbell',
    trigger: 'person',
    startTs: now - 10_000,
    endTs: now,
    size: mp4.length,
    sha256: sha(mp4),
    snapshotSha256: sha(jpeg),
  });
  return { id, jpeg };
}

describe('verification links sent to the ARC', () => {
  const receivers: Dc09TestReceiver[] = [];
  const hubs: TestHub[] = [];

  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const r of receivers.splice(0)) await r.stop();
  });

  async function setup(clock: FakeClock) {
    const arc = new Dc09TestReceiver();
    await arc.start();
    receivers.push(arc);
    const t = await startAlertHub({ receiver: arc, clock, alerts: { publicBaseUrl: BASE, verificationLinkMinutes: 30 } });
    hubs.push(t);
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { panic: 'automatic' }, share: { snapshot: true, clipLink: false } });
    // A loud panic: its alert is on the owner's list (a covert one is not shown there at all).
    expect((await owner.put('/api/alarm/settings', { loudPanic: true })).status).toBe(200);
    return { arc, t, owner };
  }

  /** The V (verification) extended data block of the latest alarm the receiver took. */
  async function linkFromArc(arc: Dc09TestReceiver, count: number): Promise<string> {
    await arc.waitFor((r) => r.alarms().length === count);
    const v = arc.alarms()[count - 1]?.extended.find((x) => x.startsWith('V'));
    if (!v) throw new Error(`no verification link in ${JSON.stringify(arc.alarms()[count - 1]?.extended)}`);
    return v.slice(1);
  }

  it('opens exactly the consented snapshot without an account, refuses anything else, and stops at expiry', async () => {
    const clock = new FakeClock();
    const { arc, t, owner } = await setup(clock);
    const other = await saveClip(t, 'an earlier clip');
    const mine = await saveClip(t, 'the alert clip');
    await owner.post('/api/panic');
    const link = await linkFromArc(arc, 1);
    expect(link).toMatch(new RegExp(`^${BASE}/api/verify/[A-Za-z0-9_-]{43}/${mine.id}/snapshot$`));
    // The photo was shared, the address was not: the extended data is the link alone.
    expect(arc.alarms()[0]?.extended).toEqual([`V${link}`]);
    // The proxy at BASE forwards to the hub: the test calls the hub at the same path.
    const at = (path: string) => fetch(`${t.url}${path}`);
    const path = new URL(link).pathname;

    const res = await at(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(mine.jpeg);

    expect((await at(path.replace(mine.id, other.id))).status).toBe(403);
    expect((await at(path.replace(/snapshot$/, 'clip'))).status).toBe(403); // the clip link was not consented
    const forged = path.replace(/verify\/[^/]+\//, `verify/${'A'.repeat(43)}/`);
    expect((await at(forged)).status).toBe(404);

    clock.offsetMs = 31 * 60_000;
    const expired = await at(path);
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('HUB_ERR_TOKEN_EXPIRED');

    const audit = await owner.get<{ entries: Array<{ actor: string; subject: Record<string, unknown> }> }>(
      '/api/audit?action=alert.verification_opened',
    );
    expect(audit.body.entries.map((e) => [e.subject.ok, e.subject.reason])).toEqual([
      [true, null],
      [false, 'other_clip'],
      [false, 'not_consented'],
      [false, 'expired'],
    ]);
    const links = await owner.get<{ alerts: Array<{ id: string }> }>('/api/alerts');
    const listed = await owner.get<{ links: Array<{ openings: number; snapshot: boolean; clip: boolean }> }>(
      `/api/alerts/${links.body.alerts[0]?.id}/verification-links`,
    );
    expect(listed.body.links).toEqual([expect.objectContaining({ openings: 1, snapshot: true, clip: false })]);
    // Only the hash is stored: the token in the link is nowhere in the database row.
    const token = path.split('/')[3] as string;
    const rows = await t.hub.core.db.all<Record<string, unknown>>('SELECT * FROM verification_links');
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('a consented clip link opens the clip; the owner can withdraw the link; then it opens nothing', async () => {
    const { arc, t, owner } = await setup(new FakeClock());
    await setConsent(owner, { share: { snapshot: true, clipLink: true } });
    const clip = await saveClip(t, 'the alert clip');
    await owner.post('/api/panic');
    const path = new URL(await linkFromArc(arc, 1)).pathname;
    expect(path).toMatch(new RegExp(`/${clip.id}/clip$`));
    const video = await fetch(`${t.url}${path}`);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await video.arrayBuffer()).toString()).toBe('not really an mp4: the alert clip');
    // Both were consented: the same link opens the snapshot of that clip too.
    expect((await fetch(`${t.url}${path.replace(/clip$/, 'snapshot')}`)).status).toBe(200);
    const [alert] = (await owner.get<{ alerts: Array<{ id: string }> }>('/api/alerts')).body.alerts;
    const revoke = await owner.post<{ revoked: number }>(`/api/alerts/${alert?.id}/verification-links/revoke`);
    expect(revoke.body.revoked).toBe(1);
    expect((await fetch(`${t.url}${path}`)).status).toBe(410);
    const audit = await owner.get<{ entries: Array<{ subject: Record<string, unknown> }> }>('/api/audit?action=alert.verification_revoked');
    expect(audit.body.entries).toHaveLength(1);
  });

  it('the owner lists every link sent, with expiry and openings, and withdraws one: it stops at once, the other still opens', async () => {
    const { arc, t, owner } = await setup(new FakeClock());
    await saveClip(t, 'first');
    await owner.post('/api/panic');
    const first = new URL(await linkFromArc(arc, 1)).pathname;
    await saveClip(t, 'second');
    await owner.post('/api/panic');
    const second = new URL(await linkFromArc(arc, 2)).pathname;
    expect((await fetch(`${t.url}${first}`)).status).toBe(200);

    type Listed = {
      id: string;
      alertId: string;
      alertKind: string;
      expiresAt: number;
      openings: number;
      state: string;
      revokedAt: number | null;
    };
    const listed = await owner.get<{ links: Listed[] }>('/api/verification-links');
    expect(listed.status).toBe(200);
    expect(listed.body.links.map((l) => [l.alertKind, l.state, l.openings])).toEqual([
      ['panic', 'open', 0],
      ['panic', 'open', 1],
    ]);
    const now = t.hub.core.clock.now();
    for (const l of listed.body.links) expect(l.expiresAt).toBeGreaterThan(now + 29 * 60_000);

    const target = listed.body.links[1] as Listed; // the first link (newest first)
    const r = await owner.post<{ revoked: number; link: Listed }>(`/api/verification-links/${target.id}/revoke`);
    expect(r.status).toBe(200);
    expect(r.body.revoked).toBe(1);
    expect(r.body.link.revokedAt).not.toBeNull();
    const gone = await fetch(`${t.url}${first}`);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: { message: string } }).error.message).toMatch(/withdrawn/);
    expect((await fetch(`${t.url}${second}`)).status).toBe(200);
    // Withdrawing it again changes nothing and is not audited twice.
    expect((await owner.post<{ revoked: number }>(`/api/verification-links/${target.id}/revoke`)).body.revoked).toBe(0);
    const after = await owner.get<{ links: Listed[] }>('/api/verification-links');
    expect(after.body.links.map((l) => l.state)).toEqual(['open', 'revoked']);
    const audit = await owner.get<{ entries: Array<{ subject: Record<string, unknown> }> }>('/api/audit?action=alert.verification_revoked');
    expect(audit.body.entries.map((e) => e.subject.linkId)).toEqual([target.id]);
    const opened = await owner.get<{ entries: Array<{ subject: Record<string, unknown> }> }>('/api/audit?action=alert.verification_opened');
    expect(opened.body.entries.map((e) => [e.subject.linkId, e.subject.ok, e.subject.reason])).toEqual([
      [target.id, true, null],
      [target.id, false, 'revoked'],
      [listed.body.links[0]?.id, true, null],
    ]);
  });

  it("a covert panic's link is not listed on the owner's phone and cannot be found there, though the ARC got it", async () => {
    const { arc, t, owner } = await setup(new FakeClock());
    expect((await owner.put('/api/alarm/settings', { loudPanic: false })).status).toBe(200);
    await saveClip(t, 'covert');
    await owner.post('/api/panic');
    const path = new URL(await linkFromArc(arc, 1)).pathname;
    expect((await fetch(`${t.url}${path}`)).status).toBe(200); // the operator can verify
    const rows = await t.hub.core.db.all<{ id: string; silent: number }>('SELECT id, silent FROM verification_links');
    expect(rows).toEqual([{ id: expect.any(String), silent: 1 }]);
    const listed = await owner.get<{ links: unknown[] }>('/api/verification-links');
    expect(listed.status).toBe(200);
    expect(listed.body.links).toEqual([]);
    expect((await owner.post(`/api/verification-links/${rows[0]?.id}/revoke`)).status).toBe(404);
    expect((await fetch(`${t.url}${path}`)).status).toBe(200); // nothing was withdrawn
  });

  it('refuses a public address that is not HTTPS (the token is in the URL)', () => {
    expect(() => alertsConfigSchema.parse({ publicBaseUrl: 'http://hub.example.org' })).toThrow(/https/);
    expect(alertsConfigSchema.parse({ publicBaseUrl: BASE }).publicBaseUrl).toBe(BASE);
  });

  it('no consent to share, no link: the ARC gets the alarm without one', async () => {
    const { arc, t, owner } = await setup(new FakeClock());
    await setConsent(owner, { share: { snapshot: false, clipLink: false } });
    await saveClip(t, 'the alert clip');
    await owner.post('/api/panic');
    await arc.waitFor((r) => r.alarms().length === 1);
    expect(arc.alarms()[0]?.extended.some((x) => x.startsWith('V'))).toBe(false);
    expect(await t.hub.core.db.all('SELECT * FROM verification_links')).toEqual([]);
  });
});
