/**
 * The alarm API (the UI and the Homebridge plugin build on exactly this):
 *   GET  /api/alarm            owner, installer; token scope alarm:read  -> AlarmSnapshot
 *        ({state, mode, delayEndsAt, triggeredBy, sirenOn, sensors}; during an entry delay `triggeredBy`
 *        is the entry sensor that started it; nothing in it ever shows a duress or a covert panic)
 *   POST /api/alarm/arm        owner; scope alarm:arm    {mode, pin?, force?} -> AlarmSnapshot (409 lists open sensors)
 *   POST /api/alarm/disarm     owner; scope alarm:disarm {pin?} -> AlarmSnapshot (a browser session must give a PIN)
 *   POST /api/alarm/silence    owner; scope alarm:disarm {pin?} -> AlarmSnapshot (siren off, alarm stays triggered)
 *   PUT  /api/alarm/pins       owner (no tokens)         {pin, duressPin, currentPin? | password?}
 *        (changing PINs that are set needs the current PIN or the owner's password; duress != PIN)
 *   GET  /api/alarm/settings   owner                     -> {loudPanic, pinSet}
 *   PUT  /api/alarm/settings   owner                     {loudPanic}
 *   POST /api/panic            owner                     {} -> {ok: true}, loud or covert alike
 *   POST /api/smartwater       owner                     {note?} -> {ok: true, markedFrom, markedTo}
 */
import { z } from 'zod';
import { ValidationError } from '../api/errors.js';
import type { HubCore } from '../core.js';
import type { AlarmModule } from './module.js';

// Any string up to 16 characters is accepted as a PIN attempt: a malformed one is a wrong one (counted), not a hint.
const pinAttempt = z.string().max(16);
const pinSchema = z.string().regex(/^\d{4,8}$/, 'use 4 to 8 digits');

export function registerAlarmRoutes(core: HubCore, alarm: AlarmModule): void {
  const { http } = core;

  http.route({
    method: 'GET',
    url: '/api/alarm',
    access: { roles: ['owner', 'installer'], scope: 'alarm:read' },
    handler: () => alarm.snapshot(),
  });

  http.route({
    method: 'POST',
    url: '/api/alarm/arm',
    access: { roles: ['owner'], scope: 'alarm:arm' },
    body: z.strictObject({
      mode: z.enum(['armed_home', 'armed_away']),
      pin: pinAttempt.optional(),
      force: z.boolean().default(false),
    }),
    handler: ({ body, session }) =>
      alarm.arm({ mode: body.mode, userId: session.user.id, pin: body.pin, force: body.force, viaToken: session.scopes !== null }),
  });

  http.route({
    method: 'POST',
    url: '/api/alarm/disarm',
    access: { roles: ['owner'], scope: 'alarm:disarm' },
    body: z.strictObject({ pin: pinAttempt.optional() }).prefault({}),
    handler: ({ body, session }) => alarm.disarm({ userId: session.user.id, pin: body.pin, viaToken: session.scopes !== null }),
  });

  http.route({
    method: 'POST',
    url: '/api/alarm/silence',
    access: { roles: ['owner'], scope: 'alarm:disarm' },
    body: z.strictObject({ pin: pinAttempt.optional() }).prefault({}),
    handler: ({ body, session }) => alarm.silence({ userId: session.user.id, pin: body.pin, viaToken: session.scopes !== null }),
  });

  http.route({
    method: 'PUT',
    url: '/api/alarm/pins',
    access: { roles: ['owner'] },
    bodyLimit: 4096,
    body: z
      .strictObject({
        pin: pinSchema,
        duressPin: pinSchema,
        /** Proof for a change: the current alarm PIN... */
        currentPin: pinAttempt.optional(),
        /** ...or the owner's account password. */
        password: z.string().max(256).optional(),
      })
      .refine((b) => b.pin !== b.duressPin, { message: 'must differ from the PIN', path: ['duressPin'] }),
    handler: async ({ body, session, req }) => {
      // Someone holding an unlocked phone must not be able to set PINs they then know.
      if (await alarm.hasPin(session.user.id)) {
        if (body.password !== undefined) {
          const key = `pw:${session.user.id}`;
          core.accounts.limiter.check(key, req.ip);
          try {
            await core.accounts.confirmPassword(session.user.id, body.password, 'alarm.pins');
          } catch (err) {
            core.accounts.limiter.fail(key, req.ip);
            throw err;
          }
        } else if (body.currentPin !== undefined) {
          await alarm.checkCurrentPin(session.user.id, body.currentPin);
        } else {
          throw new ValidationError('currentPin: enter your current alarm PIN (or your password) to change the PINs', {
            field: 'currentPin',
          });
        }
      }
      await alarm.setPins(session.user.id, body.pin, body.duressPin);
    },
  });

  http.route({
    method: 'GET',
    url: '/api/alarm/settings',
    access: { roles: ['owner'] },
    handler: async ({ session }) => ({ loudPanic: alarm.loudPanicEnabled, pinSet: await alarm.hasPin(session.user.id) }),
  });

  http.route({
    method: 'PUT',
    url: '/api/alarm/settings',
    access: { roles: ['owner'] },
    body: z.strictObject({ loudPanic: z.boolean() }),
    handler: async ({ body, session }) => {
      await alarm.setLoudPanic(session.user.id, body.loudPanic);
      return { loudPanic: alarm.loudPanicEnabled, pinSet: await alarm.hasPin(session.user.id) };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/panic',
    access: { roles: ['owner'] },
    body: z.strictObject({}).prefault({}),
    handler: async ({ session }) => {
      await alarm.panic('api', session.user.id);
      return { ok: true };
    },
  });

  http.route({
    method: 'POST',
    url: '/api/smartwater',
    access: { roles: ['owner'] },
    body: z.strictObject({ note: z.string().trim().max(500).default('') }).prefault({}),
    handler: async ({ body, session }) => ({ ok: true, ...(await alarm.smartwater(session.user.id, body.note)) }),
  });
}
