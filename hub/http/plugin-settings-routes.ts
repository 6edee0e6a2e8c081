/**
 * Plugin settings from the web app (the installer's alarm receiving centre account, a webhook):
 * read with secrets masked, changed with validation, and the plugin restarted with them. Every
 * change is audited (secrets masked there too).
 */
import { z } from 'zod';
import type { HubCore } from '../core.js';

const MASK = '********';
// Fields named for a secret (`key`, `apiKey`, `secret`, `password`, `authToken`), not ones that
// only describe one (`keyFormat`).
const SECRET_KEY = /(?:key|secret|password|token)$/i;

/** Secret-looking string fields are shown as a mask (so the page can say "set" without revealing it). */
export function maskSecrets(settings: unknown): unknown {
  if (!settings || typeof settings !== 'object' || Array.isArray(settings)) return settings;
  return Object.fromEntries(
    Object.entries(settings as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) && typeof v === 'string' && v ? MASK : v]),
  );
}

export function registerPluginSettingsRoutes(core: HubCore): void {
  const params = z.strictObject({ id: z.string().regex(/^[a-z0-9-]{1,64}$/) });

  core.http.route({
    method: 'GET',
    url: '/api/plugins/:id/settings',
    access: { roles: ['owner', 'installer'] },
    params,
    handler: ({ params: p }) => ({ plugin: p.id, settings: maskSecrets(core.plugins.settings(p.id)) }),
  });

  core.http.route({
    method: 'PUT',
    url: '/api/plugins/:id/settings',
    access: { roles: ['owner', 'installer'] },
    params,
    body: z.record(z.string(), z.unknown()),
    handler: async ({ params: p, body, session }) => {
      // A masked value sent back unchanged means "keep the secret you have".
      const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== MASK));
      const settings = await core.plugins.reconfigure(p.id, changes);
      await core.audit.append({
        action: 'plugin.settings_changed',
        actor: session.user.id,
        subject: { plugin: p.id, changed: Object.keys(changes), settings: maskSecrets(settings) as Record<string, unknown> },
      });
      return { plugin: p.id, settings: maskSecrets(settings), health: core.health.get(`plugin:${p.id}`) ?? null };
    },
  });
}
