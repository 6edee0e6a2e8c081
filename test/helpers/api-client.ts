/**
 * A small HTTP client for tests that behaves like the browser app: keeps the session cookie and
 * sends the CSRF header on state-changing calls.
 */
export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class ApiClient {
  private cookie: string | null = null;
  private csrf: string | null = null;
  private bearer: string | null = null;

  constructor(readonly baseUrl: string) {}

  static withToken(baseUrl: string, token: string): ApiClient {
    const c = new ApiClient(baseUrl);
    c.bearer = token;
    return c;
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    if (this.cookie) h.cookie = this.cookie;
    if (this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: h,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const first = setCookie.split(';')[0] ?? '';
      this.cookie = first.endsWith('=') ? null : first;
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

  get sessionCookie(): string | null {
    return this.cookie;
  }
}

export const OWNER = { username: 'victim', password: 'correct horse battery', displayName: 'Sam' };
export const INSTALLER = { username: 'installer', password: 'installer pass 123', displayName: 'Ivy Installer' };

/** Create the owner with the hub's setup code and return a signed-in client. */
export async function ownerClient(url: string, setupCode: string | null): Promise<ApiClient> {
  if (!setupCode) throw new Error('hub has no setup code (already set up?)');
  const c = new ApiClient(url);
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
  const c = new ApiClient(url);
  const password = `${username} password 123`;
  const a = await c.post('/api/invites/accept', { code: inv.body.code, username, password });
  if (a.status !== 200) throw new Error(`accept failed: ${a.status} ${JSON.stringify(a.body)}`);
  const l = await c.login(username, password);
  if (l.status !== 200) throw new Error(`login failed: ${l.status}`);
  return c;
}
