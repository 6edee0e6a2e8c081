/**
 * What every API route can reveal, and which policy surface decides it. A route that lists facts
 * (events, alerts, clips, audit entries) names the surface whose row filters it; a route that
 * reveals no fact (sign-in, settings, device set-up) says `none`, and `own` marks police routes
 * that show only the caller's own requests. The surface matrix test walks the route registry:
 * a route missing here fails it, so a new route cannot skip the policy.
 */
import type { Surface } from './visibility.js';

export type RouteReveals = 'none' | 'own' | { surface: 'by-session' | Surface };

const BY_SESSION = { surface: 'by-session' } as const;

const TABLE: Record<string, RouteReveals> = {
  'GET /api/health': 'none',
  'GET /api': 'none',
  'POST /api/setup': 'none',
  'POST /api/auth/login': 'none',
  'POST /api/auth/logout': 'none',
  'GET /api/session': 'none',
  'POST /api/invites': 'none',
  'POST /api/invites/accept': 'none',
  'GET /api/users': 'none',
  'POST /api/installer/handover': 'none',
  'GET /api/tokens': 'none',
  'POST /api/tokens': 'none',
  'DELETE /api/tokens/:id': 'none',
  'GET /api/devices': 'none',
  'PUT /api/devices/sensors/:id': 'none',
  'PUT /api/devices/cameras/:id': 'none',
  'DELETE /api/devices/:id': 'none',
  'GET /api/events': BY_SESSION,
  'GET /api/ws': BY_SESSION,
  'GET /api/plugins/:id/settings': 'none',
  'PUT /api/plugins/:id/settings': 'none',
  'GET /api/identity': 'none',
  'GET /api/audit': { surface: 'owner_app' },
  'POST /api/audit/full': { surface: 'evidence_export' },
  'GET /api/audit/verify': 'none',
  'GET /api/alarm': { surface: 'owner_app' },
  'POST /api/alarm/arm': { surface: 'owner_app' },
  'POST /api/alarm/disarm': { surface: 'owner_app' },
  'PUT /api/alarm/pins': 'none',
  'GET /api/alarm/settings': 'none',
  'PUT /api/alarm/settings': 'none',
  'POST /api/panic': { surface: 'owner_app' },
  'POST /api/smartwater': { surface: 'owner_app' },
  'GET /api/consent': 'none',
  'PUT /api/consent': 'none',
  'GET /api/egress': 'none',
  'GET /api/consent/history': 'none',
  'GET /api/alerts': BY_SESSION,
  'GET /api/alerts/:id': BY_SESSION,
  'POST /api/alerts/:id/send': { surface: 'owner_app' },
  'POST /api/alerts/:id/dismiss': { surface: 'owner_app' },
  'POST /api/alerts/test': 'none',
  // A consented alert's verification link: exactly that clip, for whoever the police channel gave it to.
  'GET /api/verify/:token/:clipId/snapshot': { surface: 'police_channel' },
  'GET /api/verify/:token/:clipId/clip': { surface: 'police_channel' },
  'GET /api/alerts/:id/verification-links': BY_SESSION,
  'POST /api/alerts/:id/verification-links/revoke': { surface: 'owner_app' },
  'GET /api/cameras': { surface: 'owner_app' },
  'GET /api/cameras/:id/snapshot': 'none',
  'POST /api/cameras/:id/clips': 'none',
  'POST /api/cameras/discover': 'none',
  'POST /api/cameras/test': 'none',
  'GET /api/clips': { surface: 'owner_app' },
  'GET /api/clips/:id/video': { surface: 'owner_app' },
  'GET /api/clips/:id/snapshot': { surface: 'owner_app' },
  'GET /api/cameras/:id/live': 'none',
  'POST /api/requests': 'own',
  'GET /api/requests': 'own',
  'GET /api/requests/:id': 'own',
  'POST /api/requests/:id/approve': 'none',
  'POST /api/requests/:id/refuse': 'none',
  'GET /api/requests/:id/export': 'own',
  'POST /api/requests/:id/export': 'none',
  'POST /api/requests/:id/download-token': 'own',
  'GET /api/evidence/download/:token': { surface: 'evidence_export' },
  'POST /api/incident-logs': { surface: 'advocate_log' },
  'PUT /api/incident-logs/:id/shares': 'none',
  'GET /api/incident-logs': { surface: 'advocate_log' },
  'GET /api/incident-logs/:id/html': { surface: 'advocate_log' },
};

export const ROUTE_SURFACES: Readonly<Record<string, RouteReveals>> = Object.freeze(TABLE);
