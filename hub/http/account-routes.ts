/**
 * Accounts the owner controls: password change, the signed-in devices list with sign-out for
 * each session and token, disable / enable / remove / renew other accounts, and the hub
 * certificate's fingerprint and QR code for putting the CA on a phone.
 *
 *   POST   /api/account/password      any role (no tokens) {currentPassword, newPassword}
 *   GET    /api/account/devices       any role: own sessions and tokens (the owner: everyone's)
 *   DELETE /api/account/sessions/:id  any role: sign one session out (the owner: anyone's)
 *   DELETE /api/account/tokens/:id    owner: revoke any API token
 *   POST   /api/users/:id/disable     owner      POST /api/users/:id/enable   owner
 *   DELETE /api/users/:id             owner      POST /api/users/:id/renew    owner {days}
 *   GET    /api/tls                   owner, installer -> {fingerprint, caUrl, qrSvg, ...}
 */
import QRCode from 'qrcode';
import { z } from 'zod';
import type { Role } from '../api/roles.js';
import { MIN_PASSWORD_LENGTH } from '../auth/accounts.js';
import type { HubCore } from '../core.js';
import { CA_PATH } from './redirect-server.js';
import { tlsSummary } from './tls.js';

const ALL: readonly Role[] = ['owner', 'installer', 'police', 'advocate'];
const id = z.strictObject({ id: z.string().min(1).max(64) });

export function registerAccountRoutes(core: HubCore): void {
  const { http, accounts, config } = core;

  http.route({
    method: 'POST',
    url: '/api/account/password',
    access: { roles: ALL },
    bodyLimit: 4096,
    body: z.strictObject({
      currentPassword: z.string().min(1).max(256),
      newPassword: z.string().min(MIN_PASSWORD_LENGTH, `use at least ${MIN_PASSWORD_LENGTH} characters`).max(256),
    }),
    handler: async ({ body, session, req }) => {
      // A wrong current password counts like a failed sign-in from this address.
      accounts.limiter.check(`pw:${session.user.id}`, req.ip);
      try {
        await accounts.control.changePassword(session.user, session.sessionId, body.currentPassword, body.newPassword);
      } catch (err) {
        if ((err as { code?: string }).code === 'HUB_ERR_BAD_CREDENTIALS') accounts.limiter.fail(`pw:${session.user.id}`, req.ip);
        throw err;
      }
      return { otherSessionsSignedOut: true };
    },
  });

  http.route({
    method: 'GET',
    url: '/api/account/devices',
    access: { roles: ALL },
    handler: ({ session }) => accounts.control.signedIn(session.user, session.sessionId),
  });

  http.route({
    method: 'DELETE',
    url: '/api/account/sessions/:id',
    access: { roles: ALL },
    params: id,
    handler: async ({ params, session }) => {
      await accounts.control.signOut(session.user, params.id);
    },
  });

  http.route({
    method: 'DELETE',
    url: '/api/account/tokens/:id',
    access: { roles: ['owner'] },
    params: id,
    handler: async ({ params, session }) => {
      await accounts.tokens.revoke(session.user.id, params.id, null);
    },
  });

  for (const [action, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    http.route({
      method: 'POST',
      url: `/api/users/:id/${action}`,
      access: { roles: ['owner'] },
      params: id,
      handler: async ({ params, session }) => {
        await accounts.control.setDisabled(session.user, params.id, disabled);
      },
    });
  }

  http.route({
    method: 'DELETE',
    url: '/api/users/:id',
    access: { roles: ['owner'] },
    params: id,
    handler: async ({ params, session }) => {
      await accounts.control.remove(session.user, params.id);
    },
  });

  http.route({
    method: 'POST',
    url: '/api/users/:id/renew',
    access: { roles: ['owner'] },
    params: id,
    body: z.strictObject({ days: z.number().int().min(1).max(365) }),
    handler: async ({ params, body, session }) => ({ expiresAt: await accounts.control.renew(session.user, params.id, body.days) }),
  });

  http.route({
    method: 'GET',
    url: '/api/tls',
    access: { roles: ['owner', 'installer'] },
    handler: async ({ req }) => {
      const summary = await tlsSummary(core.dataDir, config.http.tls);
      const port = config.http.redirectPort;
      const host = req.hostname.includes(':') && !req.hostname.startsWith('[') ? `[${req.hostname}]` : req.hostname;
      // The phone scans this, fetches the CA over plain HTTP, and the owner compares the fingerprint.
      const caUrl = summary.enabled && port ? `http://${host}:${port}${CA_PATH}` : null;
      const qrText = caUrl ?? (summary.fingerprint ? `SHA-256 ${summary.fingerprint}` : null);
      const qrSvg = qrText ? await QRCode.toString(qrText, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) : null;
      return { ...summary, caUrl, qrSvg };
    },
  });
}
