/**
 * sd_notify(3) for the hub: READY=1 once it serves, WATCHDOG=1 while it is live, STOPPING=1 when
 * it stops. systemd listens on a unix datagram socket ($NOTIFY_SOCKET); Node's `dgram` speaks only
 * UDP, so the datagram goes through `unix-dgram` (a small native binding, the one most Node
 * projects use for this). Why not `systemd-notify` from a child process: the message then comes
 * from a short-lived process that systemd often cannot tie to the service (the documented race in
 * systemd-notify(1)), it needs NotifyAccess=all (any process in the unit could then claim
 * readiness), and forking every few seconds on a Pi is waste.
 */
import { createRequire } from 'node:module';
import { HubError } from '../api/errors.js';

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  close(): void;
}

interface UnixDgramModule {
  createSocket(
    type: 'unix_dgram',
    listener?: (msg: Buffer) => void,
  ): UnixDgramSocket & {
    bind(path: string): void;
    on(event: 'listening' | 'error', cb: (arg?: unknown) => void): void;
  };
}

const require = createRequire(import.meta.url);

/** The binding, loaded on first use so a hub without systemd never needs it. */
export function unixDgram(): UnixDgramModule {
  try {
    return require('unix-dgram') as UnixDgramModule;
  } catch (err) {
    throw new HubError('HUB_ERR_INTERNAL', 'the unix-dgram binding is not built: run `npm ci` again', { cause: err });
  }
}

export interface Notifier {
  notify(state: Record<string, string>): Promise<void>;
  close(): void;
}

/** systemd's socket from the environment, or null when the hub was not started by systemd with Type=notify. */
export function notifySocketFromEnv(env: NodeJS.ProcessEnv): string | null {
  const p = env.NOTIFY_SOCKET;
  if (!p) return null;
  // systemd gives services a path (/run/systemd/notify); the binding cannot address abstract sockets.
  if (p.startsWith('@')) throw new HubError('HUB_ERR_INTERNAL', `NOTIFY_SOCKET ${p} is an abstract socket, which unix-dgram cannot reach`);
  return p;
}

/**
 * The watchdog interval systemd asked for (WATCHDOG_USEC), in ms, or null. WATCHDOG_PID names the
 * process meant: a child that inherited the environment must not ping for its parent.
 */
export function watchdogMsFromEnv(env: NodeJS.ProcessEnv, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
  return Math.floor(usec / 1000);
}

export function openNotifier(socketPath: string): Notifier {
  const sock = unixDgram().createSocket('unix_dgram');
  let lastError: Error | null = null;
  sock.on('error', (err) => {
    lastError = err as Error;
  });
  return {
    notify(state) {
      const text = Object.entries(state)
        .map(([k, v]) => `${k}=${v.replace(/\n/g, ' ')}`)
        .join('\n');
      const buf = Buffer.from(text, 'utf8');
      return new Promise((resolve, reject) => {
        sock.send(buf, 0, buf.length, socketPath, (err) => {
          const e = err ?? lastError;
          lastError = null;
          if (e) reject(new HubError('HUB_ERR_INTERNAL', `sd_notify to ${socketPath} failed: ${e.message}`, { cause: e }));
          else resolve();
        });
      });
    },
    close() {
      sock.close();
    },
  };
}
