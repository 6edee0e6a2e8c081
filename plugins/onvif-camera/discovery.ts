/**
 * WS-Discovery for the installer: one multicast Probe for NetworkVideoTransmitters, answers
 * collected until the timeout. Bad answers from other devices are logged, never fatal.
 */
import onvif from 'onvif';
import { type DiscoveredCamera, HubError, type Logger } from '../../hub/api/index.js';

interface ProbeMatchLike {
  probeMatches?: {
    probeMatch?: {
      endpointReference?: { address?: string };
      scopes?: string;
      XAddrs?: string;
    };
  };
}

function scope(scopes: string, key: string): string | null {
  const m = new RegExp(`onvif://www\\.onvif\\.org/${key}/(\\S+)`).exec(scopes);
  return m?.[1] ? decodeURIComponent(m[1]) : null;
}

export function toDiscovered(raw: ProbeMatchLike): DiscoveredCamera | null {
  const match = raw.probeMatches?.probeMatch;
  const xaddr = match?.XAddrs?.split(/\s+/)[0];
  if (!match || !xaddr) return null;
  let url: URL;
  try {
    url = new URL(xaddr);
  } catch {
    // An XAddr that is not a URL is a broken device answer: skip that device.
    return null;
  }
  const scopes = typeof match.scopes === 'string' ? match.scopes : '';
  return {
    address: url.hostname,
    port: url.port ? Number(url.port) : 80,
    name: scope(scopes, 'name') ?? match.endpointReference?.address ?? url.hostname,
    hardware: scope(scopes, 'hardware'),
    xaddr,
  };
}

let probing: Promise<DiscoveredCamera[]> | null = null;

/** Probe the network (one probe at a time: the package's Discovery is a process-wide singleton). */
export function discoverCameras(timeoutMs: number, log: Logger): Promise<DiscoveredCamera[]> {
  if (probing) return probing;
  const onError = (err: unknown) =>
    log.info({ err: err instanceof Error ? err.message : String(err).slice(0, 200) }, 'ignored a bad discovery answer');
  onvif.Discovery.on('error', onError);
  const p = new Promise<DiscoveredCamera[]>((resolve, reject) => {
    onvif.Discovery.probe({ timeout: timeoutMs, resolve: false }, (err, devices) => {
      const found = (devices ?? []).map((d) => toDiscovered(d as ProbeMatchLike)).filter((d): d is DiscoveredCamera => d !== null);
      // An array of errors means some answers were bad: keep the good ones. A single Error is the socket.
      if (err && !Array.isArray(err)) reject(new HubError('HUB_ERR_CAMERA', `camera discovery failed: ${err.message}`, { cause: err }));
      else resolve(found);
    });
  });
  probing = p;
  const done = () => {
    onvif.Discovery.removeListener('error', onError);
    probing = null;
  };
  p.then(done, done);
  return p;
}
