/**
 * The embedded MQTT broker (aedes) the hub runs when no external broker is configured. It binds
 * loopback by default; bound anywhere else it requires the configured username and password.
 */
import { timingSafeEqual } from 'node:crypto';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { HubError } from '../api/errors.js';
import type { Logger } from '../api/plugin.js';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface BrokerOptions {
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  log: Logger;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

export async function startEmbeddedBroker(opts: BrokerOptions): Promise<EmbeddedBroker> {
  if (!isLoopback(opts.host) && (!opts.username || !opts.password)) {
    throw new HubError(
      'HUB_ERR_BROKER',
      `the embedded MQTT broker may listen on ${opts.host} only with mqtt.username and mqtt.password set`,
    );
  }
  const broker = await Aedes.createBroker();
  if (opts.username && opts.password) {
    const user = Buffer.from(opts.username);
    const pass = Buffer.from(opts.password);
    broker.authenticate = (_client, username, password, done) => {
      const u = Buffer.from(username ?? '');
      const p = password ?? Buffer.alloc(0);
      const ok = u.length === user.length && p.length === pass.length && timingSafeEqual(u, user) && timingSafeEqual(p, pass);
      if (!ok) opts.log.warn({ username }, 'MQTT client refused: wrong credentials');
      done(null, ok);
    };
  }
  broker.on('clientError', (client, err) => opts.log.warn({ client: client?.id, err: err.message }, 'MQTT client error'));
  // No Nagle: an alarm message must not wait ~40 ms for the peer's delayed ACK behind a small earlier write.
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new HubError('HUB_ERR_BROKER', `embedded MQTT broker cannot listen on ${opts.host}:${opts.port}: ${err.message}`, { cause: err }),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  opts.log.info({ host: opts.host, port }, 'embedded MQTT broker listening');
  return {
    url: `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Connected clients keep the server open; aedes.close() has ended them already.
      });
    },
  };
}
