/**
 * The plain-HTTP listener. It carries no app and no API: it redirects every request to HTTPS and
 * serves the hub's CA certificate and its fingerprint, so a phone can fetch the certificate before
 * it trusts the hub. (Anyone on the Wi-Fi could swap the file in transit; that is why the owner's
 * and installer's screens show the fingerprint to compare with what the phone shows.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../api/plugin.js';
import type { TlsMaterial } from './tls.js';

export const CA_PATH = '/hub-ca.crt';
export const CA_DER_PATH = '/hub-ca.cer';
export const FINGERPRINT_PATH = '/hub-ca.txt';

export interface RedirectServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** Redirect only to names the certificate covers, so a forged Host header cannot send a phone elsewhere. */
function redirectHost(req: IncomingMessage, tls: TlsMaterial, fallback: string): string {
  const raw = req.headers.host ?? '';
  const host = raw.startsWith('[') ? raw.slice(1, raw.indexOf(']')) : (raw.split(':')[0] ?? '');
  return tls.names.includes(host.toLowerCase()) ? host : fallback;
}

export async function startRedirectServer(opts: {
  host: string;
  port: number;
  httpsPort: number;
  tls: TlsMaterial;
  log: Logger;
}): Promise<RedirectServer> {
  const fallback =
    opts.host === '0.0.0.0' || opts.host === '::' ? (opts.tls.names.find((n) => n !== 'localhost') ?? '127.0.0.1') : opts.host;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    const path = (req.url ?? '/').split('?')[0];
    const ca = opts.tls.caPem;
    if (req.method === 'GET' && ca && path === CA_PATH) {
      res.writeHead(200, {
        'content-type': 'application/x-x509-ca-cert',
        'content-disposition': 'attachment; filename="hub-ca.crt"',
      });
      res.end(ca);
      return;
    }
    if (req.method === 'GET' && ca && path === CA_DER_PATH) {
      res.writeHead(200, { 'content-type': 'application/pkix-cert', 'content-disposition': 'attachment; filename="hub-ca.cer"' });
      res.end(pemToDer(ca));
      return;
    }
    if (req.method === 'GET' && path === FINGERPRINT_PATH) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`SHA-256 ${opts.tls.fingerprint}\n`);
      return;
    }
    const host = redirectHost(req, opts.tls, fallback);
    const target = `https://${host.includes(':') ? `[${host}]` : host}:${opts.httpsPort}${req.url ?? '/'}`;
    res.writeHead(308, { location: target, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`This hub only answers over HTTPS: ${target}\n`);
  };
  const server = createServer(handler);
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.log.error({ err: err.message }, 'plain-HTTP redirect listener failed'));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
