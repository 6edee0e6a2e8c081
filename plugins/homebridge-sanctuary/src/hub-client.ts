/**
 * HTTP calls to the hub with the owner's API token. Every failure becomes a SanctuaryPluginError
 * whose code says what to do about it (unreachable, token refused, scope missing, ...).
 */
import { SanctuaryPluginError } from './errors.js';
import { type HubAlarm, type HubArmMode, type HubCamera, parseAlarm, parseCameras } from './hub-types.js';

export class HubClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  async alarm(): Promise<HubAlarm> {
    return parseAlarm(await this.request('GET', '/api/alarm'));
  }

  async cameras(): Promise<HubCamera[]> {
    return parseCameras(await this.request('GET', '/api/devices'));
  }

  async arm(mode: HubArmMode): Promise<void> {
    await this.request('POST', '/api/alarm/arm', { mode });
  }

  async disarm(): Promise<void> {
    await this.request('POST', '/api/alarm/disarm', {});
  }

  /** The bearer header, for the WebSocket feed. */
  authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  private async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const headers: Record<string, string> = { ...this.authHeaders(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describeCause(err);
      throw new SanctuaryPluginError('SANCTUARY_HB_UNREACHABLE', `${method} ${path}: hub unreachable (${why})`, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new SanctuaryPluginError(
          'SANCTUARY_HB_BAD_RESPONSE',
          `${method} ${path}: the hub answered ${res.status} with a body that is not JSON`,
          {
            status: res.status,
            cause: err,
          },
        );
      }
    }
    if (res.ok) return parsed;
    const hubMessage = hubErrorMessage(parsed);
    if (res.status === 401) {
      throw new SanctuaryPluginError(
        'SANCTUARY_HB_UNAUTHENTICATED',
        `${method} ${path}: the hub refused the token (${hubMessage}); issue a new one`,
        {
          status: 401,
        },
      );
    }
    if (res.status === 403) {
      throw new SanctuaryPluginError('SANCTUARY_HB_FORBIDDEN', `${method} ${path}: ${hubMessage}`, { status: 403 });
    }
    throw new SanctuaryPluginError('SANCTUARY_HB_HTTP', `${method} ${path}: the hub answered ${res.status} (${hubMessage})`, {
      status: res.status,
    });
  }
}

function hubErrorMessage(body: unknown): string {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (typeof e === 'object' && e !== null) {
      const { code, message } = e as { code?: unknown; message?: unknown };
      return `${String(code ?? 'error')}: ${String(message ?? '')}`;
    }
  }
  return 'no error detail';
}

function describeCause(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof Error) return cause.message;
    return err.message;
  }
  return String(err);
}
