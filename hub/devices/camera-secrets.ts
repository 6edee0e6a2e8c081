/**
 * A camera's password lives in one place: the `device_secrets` table, read by the registry.
 * Installers often paste `rtsp://admin:pass@192.168.1.20/...`: the user info is taken out of the
 * URLs here, so settings, the API and logs only ever hold URLs without it. The API shows
 * `hasPassword` instead of any form of the password, so a form never carries it back.
 */
import type { CameraDevice, PublicCameraDevice } from '../api/devices.js';
import { ValidationError } from '../api/errors.js';
import type { CameraSeed } from '../config/devices-schema.js';

/** What older versions of the hub and UI showed in place of a password; sent back, it means "keep". */
export const LEGACY_MASK = '********';

export interface CameraSecret {
  password: string;
  /** The source type the stored password belongs to (a password does not follow a change of type). */
  type?: 'onvif' | 'rtsp';
}

interface UserInfo {
  field: string;
  username: string;
  password: string | null;
}

/** The URL without user info, and the user info it had. */
export function stripUserInfo(url: string, field: string): { url: string; info: UserInfo | null } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ValidationError(`${field}: not a valid URL`, { field });
  }
  if (!u.username && !u.password) return { url, info: null };
  const username = decodeURIComponent(u.username);
  const raw = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), info: { field, username, password: raw === '' || raw === LEGACY_MASK ? null : raw } };
}

/**
 * The camera as the hub uses it (password included) from a saved or submitted seed. `stored` is
 * the password on record. `legacySecret`: the seed itself carried a secret (a password field or
 * user info in a URL), so what is on disk should be rewritten without it.
 */
export function splitCameraSeed(seed: CameraSeed, stored: CameraSecret | null): { device: CameraDevice; legacySecret: boolean } {
  const { source, ...rest } = seed;
  const r = resolveSource(source, stored);
  return { device: { ...rest, source: r.source }, legacySecret: r.legacySecret };
}

/** A submitted source with its credentials settled (user info out of the URLs, kept password filled in). */
export function resolveSource(
  source: CameraSeed['source'],
  stored: CameraSecret | null,
): { source: CameraDevice['source']; legacySecret: boolean } {
  const keep = (type: 'onvif' | 'rtsp') => (stored && (stored.type === undefined || stored.type === type) ? stored.password : '');
  if (source.type === 'onvif') {
    const given = source.password !== undefined && source.password !== LEGACY_MASK ? source.password : undefined;
    return {
      source: { type: 'onvif', host: source.host, port: source.port, username: source.username, password: given ?? keep('onvif') },
      legacySecret: source.password !== undefined,
    };
  }
  const main = stripUserInfo(source.mainUrl, 'source.mainUrl');
  const sub = source.subUrl === null ? null : stripUserInfo(source.subUrl, 'source.subUrl');
  const snap = source.snapshotUrl === null ? null : stripUserInfo(source.snapshotUrl, 'source.snapshotUrl');
  const infos = [main.info, sub?.info ?? null, snap?.info ?? null].filter((i): i is UserInfo => i !== null);
  const first = infos[0];
  for (const i of infos.slice(1)) {
    if (first && (i.username !== first.username || (i.password !== null && first.password !== null && i.password !== first.password))) {
      throw new ValidationError(`${i.field}: use the same user name and password as ${first.field} (the hub keeps one per camera)`, {
        field: i.field,
      });
    }
  }
  const urlPassword = infos.find((i) => i.password !== null)?.password;
  const formPassword = source.password !== undefined && source.password !== LEGACY_MASK ? source.password : undefined;
  return {
    source: {
      type: 'rtsp',
      mainUrl: main.url,
      subUrl: sub?.url ?? null,
      snapshotUrl: snap?.url ?? null,
      username: source.username ?? first?.username ?? '',
      password: formPassword ?? urlPassword ?? keep('rtsp'),
    },
    legacySecret: infos.length > 0 || source.password !== undefined,
  };
}

/** Camera as the API shows it: no password in any form, only whether one is stored. */
export function publicCamera(c: CameraDevice): PublicCameraDevice {
  const { password, ...source } = c.source;
  return { ...c, source: { ...source, hasPassword: password !== '' } };
}
