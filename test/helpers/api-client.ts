/**
 * A small HTTP client for tests that behaves like the browser app: keeps the session cookie (and
 * the long-lived device cookie) and sends the CSRF header on state-changing calls. Given a CA
 * (`tls.ca`), it speaks HTTPS trusting only that CA, like a phone that installed the hub's
 * certificate; `tls.localAddress` makes it connect from another loopback address (another device).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ClientTls {
  /** PEM of the only CA this client trusts (HTTPS only). */
  ca?: string;
  /** Source address, e.g. 127.0.0.2 to look like a second device on the network. */
  localAddress?: string;
  /** Return 3xx answers instead of following them (to see the plain-HTTP redirect). */
  manualRedirects?: boolean;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  private cookie: string | null = null;
  private device: string | null = null;
  private csrf: string | null = null;
  private bearer: string | null = null;
  /** Sent as User-Agent, so the signed-in devices list can tell clients apart. */
  userAgent = 'sanctuary-test-client';

  constructor(
    readonly baseUrl: string,
    readonly tls: ClientTls = {},
  ) {}

  static withToken(baseUrl: string, token: string, tls: ClientTls = {}): ApiClient {
    const c = new ApiClient(baseUrl, tls);
    c.bearer = token;
    return c;
  }

  /** Node's fetch cannot take a CA or a source address: those requests go through node:http(s). */
  private raw(method: string, url: string, headers: Record<string, string>, body: string | undefined): Promise<Response> {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        u,
        {
          method,
          headers,
          ...(this.tls.ca ? { ca: this.tls.ca } : {}),
          ...(this.tls.localAddress ? { localAddress: this.tls.localAddress } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) {
              if (Array.isArray(v)) for (const one of v) h.append(k, one);
              else if (v !== undefined) h.set(k, v);
            }
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks);
            resolve(new Response(status === 204 || status === 304 ? null : text, { status, headers: h }));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Cookie names and their Set-Cookie attributes from the last response that set them. */
  lastSetCookies: string[] = [];

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    const cookies = [this.cookie, this.device].filter((c): c is string => c !== null);
    if (cookies.length > 0) h.cookie = cookies.join('; ');
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    h['user-agent'] ??= this.userAgent;
    const url = `${this.baseUrl}${path}`;
    const payload = body !== undefined ? JSON.stringify(body) : undefined;
    const res =
      url.startsWith('https:') || this.tls.localAddress || this.tls.manualRedirects
        ? await this.raw(method, url, h, payload)
        : await fetch(url, { method, headers: h, ...(payload !== undefined ? { body: payload } : {}) });
    const setCookies = res.headers.getSetCookie();
    if (setCookies.length > 0) this.lastSetCookies = setCookies;
    for (const setCookie of setCookies) {
      const first = setCookie.split(';')[0] ?? '';
      const cleared = first.endsWith('=');
      if (first.startsWith('sanctuary_device=')) this.device = cleared ? null : first;
      else this.cookie = cleared ? null : first;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON (a file download): the caller reads body as text.
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = Record<string, unknown>>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }
  put<T = Record<string, unknown>>(path: string, body: unknown = {}) {
    return this.request<T>('PUT', path, body);
  }
  delete<T = Record<string, unknown>>(path: string) {
    return this.request<T>('DELETE', path);
  }

  async login(username: string, password: string): Promise<ApiResponse> {
    const r = await this.post('/api/auth/login', { username, password });
    if (r.status === 200) this.csrf = (r.body as { csrfToken: string }).csrfToken;
    return r;
  }

  /** A POST whose answer is a file (plain fetch; plain-HTTP hubs only): the bytes as sent. */
  async postForBytes(path: string, body: unknown): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
    const h: Record<string, string> = { 'content-type': 'application/json', 'user-agent': this.userAgent };
    const cookies = [this.cookie, this.device].filter((c): c is string => c !== null);
    if (cookies.length > 0) h.cookie = cookies.join('; ');
    if (this.csrf) h['x-csrf-token'] = this.csrf;
    const res = await fetch(`${this.baseUrl}${path}`, { method: 'POST', headers: h, body: JSON.stringify(body) });
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  }

  get sessionCookie(): string | null {
    return this.cookie;
  }

  /** The long-lived known-device cookie (`sanctuary_device=...`) once signed in. */
  get deviceCookie(): string | null {
    return this.device;
  }

  /** Forget the session (keep the device cookie): like a browser whose session ended. */
  dropSession(): void {
    this.cookie = null;
    this.csrf = null;
  }
}

export const OWNER = { username: 'victim', password: 'correct horse battery', displayName: 'Sam' };
export const INSTALLER = { username: 'installer', password: 'installer pass 123', displayName: 'Ivy Installer' };

/** Create the owner with the hub's setup code and return a signed-in client. */
export async function ownerClient(url: string, setupCode: string | null, tls: ClientTls = {}): Promise<ApiClient> {
  if (!setupCode) throw new Error('hub has no setup code (already set up?)');
  const c = new ApiClient(url, tls);
  const r = await c.post('/api/setup', { code: setupCode, ...OWNER, role: 'owner' });
  if (r.status !== 200) throw new Error(`setup failed: ${r.status} ${JSON.stringify(r.body)}`);
  const l = await c.login(OWNER.username, OWNER.password);
  if (l.status !== 200) throw new Error(`login failed: ${l.status}`);
  return c;
}

/** Invite a user of `role` as the given client and return a signed-in client for them. */
export async function invitedClient(
  url: string,
  inviter: ApiClient,
  role: 'police' | 'advocate' | 'installer',
  username: string,
): Promise<ApiClient> {
  const inv = await inviter.post<{ code: string }>('/api/invites', { role, displayName: `${role} ${username}` });
  if (inv.status !== 200) throw new Error(`invite failed: ${inv.status} ${JSON.stringify(inv.body)}`);
  const c = new ApiClient(url, inviter.tls);
  const password = `${username} password 123`;
  const a = await c.post('/api/invites/accept', { code: inv.body.code, username, password });
  if (a.status !== 200) throw new Error(`accept failed: ${a.status} ${JSON.stringify(a.body)}`);
  const l = await c.login(username, password);
  if (l.status !== 200) throw new Error(`login failed: ${l.status}`);
  return c;
}
