/**
 * Recording sound: a camera records what is said at the door only when the installer set it
 * able to (`record.audio` in its settings) and the owner said yes after reading a plain-words
 * note on what that means. Her answer is kept per camera (recorder_settings `sound:<camera>`)
 * with who gave it and when, every change is audited, and she can take it back at any time.
 *
 * Why ask her at all: sound carries beyond the home. The UK Information Commissioner's guidance
 * on domestic CCTV says recording conversations is especially intrusive, and in Fairhurst v
 * Woodard (2021) a court found a homeowner's doorbell and cameras that recorded a neighbour's
 * conversations broke data-protection law. It is her home and her evidence: her choice.
 */
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../api/errors.js';
import type { HubCore } from '../core.js';

/** What the owner reads before she decides (the app shows this text as it is). */
export const SOUND_NOTE = [
  'This camera can record sound with its video, so a clip keeps what is said at your door.',
  'That can be strong evidence: a threat, or someone breaking a court order.',
  'But sound travels further than a picture. Neighbours and people walking past may be recorded too, and the law on data protection (the ICO in the UK) expects you to be careful: a court has ruled against a homeowner whose doorbell recorded a neighbour talking (Fairhurst v Woodard, 2021).',
  'Turn it on only if you are sure. You can turn it off at any time. Clips already made keep their sound.',
].join(' ');

export interface SoundState {
  cameraId: string;
  /** The installer set the camera able to record sound. */
  installerSet: boolean;
  /** The owner said yes (null: she has not been asked or has not answered). */
  ownerAgreed: boolean | null;
  /** Both: sound is recorded from the next connection on. */
  recording: boolean;
  note: string;
  decidedAt: number | null;
}

export class SoundChoices {
  private readonly agreed = new Map<string, { agreed: boolean; at: number }>();

  constructor(private readonly core: HubCore) {}

  async load(): Promise<void> {
    const rows = await this.core.db.all<{ key: string; value: string; updated_at: number }>(
      "SELECT key, value, updated_at FROM recorder_settings WHERE key LIKE 'sound:%'",
    );
    for (const r of rows) {
      try {
        const v = JSON.parse(r.value) as { agreed?: unknown };
        if (typeof v.agreed === 'boolean') this.agreed.set(r.key.slice('sound:'.length), { agreed: v.agreed, at: r.updated_at });
      } catch (err) {
        // An unreadable answer counts as no answer: sound stays off until she is asked again.
        this.core.log.warn({ key: r.key, err: String(err) }, 'unreadable sound-recording choice; treated as not agreed');
      }
    }
  }

  /** The owner agreed to sound on this camera (the installer's half is the camera's `record.audio`). */
  agreedFor(cameraId: string): boolean {
    return this.agreed.get(cameraId)?.agreed === true;
  }

  state(cameraId: string): SoundState {
    const camera = this.core.devices.camera(cameraId);
    if (!camera) throw new NotFoundError(`no camera ${cameraId}`);
    const choice = this.agreed.get(cameraId);
    const installerSet = camera.record.audio === true;
    return {
      cameraId,
      installerSet,
      ownerAgreed: choice?.agreed ?? null,
      recording: installerSet && choice?.agreed === true,
      note: SOUND_NOTE,
      decidedAt: choice?.at ?? null,
    };
  }

  async decide(cameraId: string, agree: boolean, actor: string): Promise<SoundState> {
    const camera = this.core.devices.camera(cameraId);
    if (!camera) throw new NotFoundError(`no camera ${cameraId}`);
    if (agree && camera.record.audio !== true)
      throw new ValidationError('the installer has not set this camera to record sound; ask them first', { field: 'agree' });
    const at = this.core.clock.now();
    // Audited first: a choice that is in force is always in the log.
    await this.core.audit.append({
      action: agree ? 'camera.sound.agreed' : 'camera.sound.declined',
      actor,
      subject: { cameraId, note: agree ? SOUND_NOTE : null },
    });
    await this.core.db.run(
      `INSERT INTO recorder_settings (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [`sound:${cameraId}`, JSON.stringify({ agreed: agree }), at, actor],
    );
    this.agreed.set(cameraId, { agreed: agree, at });
    return this.state(cameraId);
  }
}

export const soundBody = z.strictObject({
  agree: z.boolean(),
  /** Saying yes needs the note read: the app sends true once she ticked "I have read this". */
  understood: z.boolean().optional(),
});
