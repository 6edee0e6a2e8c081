/**
 * A small ONVIF device simulator (a doorbell) for the demo and the tests: SOAP over HTTP on
 * 127.0.0.1 (device, media and event services), WS-Security UsernameToken digest checked on
 * every call but GetSystemDateAndTime (so a wrong password fails as on a real camera), a JPEG
 * snapshot URL behind HTTP Basic auth, PullPoint events (doorbell press, motion, tamper on
 * demand) and a WS-Discovery ProbeMatch answer on UDP 3702 multicast.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as soap from './onvif-soap.js';

export interface OnvifSimOptions {
  username: string;
  password: string;
  /** RTSP URLs the camera hands out (without credentials, as cameras do). */
  mainStreamUrl: string;
  subStreamUrl?: string | null;
  /** A JPEG served at the snapshot URL. */
  snapshotFile: string;
  name?: string;
  /** Longest a PullMessages call waits for an event before answering empty (cameras allow up to the asked Timeout). */
  pullWaitMs?: number;
  /** The camera's clock against the real one, in ms (a camera not on NTP drifts; tests set it). */
  clockOffsetMs?: number;
  /** Answer WS-Discovery probes (needs multicast on the interface; tests run in a network namespace). */
  discovery?: boolean;
  port?: number;
}

interface Subscription {
  id: string;
  queue: soap.SimNotification[];
  terminatesAt: number;
  waiter: (() => void) | null;
}

const TOPICS = {
  doorbell: 'tns1:Device/Trigger/DigitalInput',
  motion: 'tns1:RuleEngine/CellMotionDetector/Motion',
  tamper: 'tns1:RuleEngine/TamperDetector/Tamper',
} as const;

export class OnvifSim {
  private http: Server | null = null;
  private udp: Socket | null = null;
  private readonly subs = new Map<string, Subscription>();
  /** Every SOAP action received, in order (tests assert the PullPoint life cycle). */
  readonly calls: string[] = [];
  /** Calls refused for a bad digest. */
  authFailures = 0;
  port = 0;
  readonly uuid = randomUUID();
  /** The camera's clock against the real one (ms); may be changed while it runs. */
  clockOffsetMs: number;

  constructor(private readonly opts: OnvifSimOptions) {
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
  }

  get host(): string {
    return '127.0.0.1';
  }
  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get subscriptions(): number {
    return this.subs.size;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`simulator error: ${(err as Error).message}`);
      });
    });
    this.http = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    if (this.opts.discovery) await this.startDiscovery();
  }

  private async startDiscovery(): Promise<void> {
    const udp = createSocket({ type: 'udp4', reuseAddr: true });
    this.udp = udp;
    udp.on('message', (msg, rinfo) => {
      const text = msg.toString();
      if (!/Probe>|:Probe\b|<Probe\b/.test(text) || /ProbeMatches/.test(text)) return;
      const relatesTo = /MessageID[^>]*>([^<]+)</.exec(text)?.[1] ?? '';
      const reply = soap.probeMatch(
        relatesTo,
        `urn:uuid:${this.uuid}`,
        `${this.base}/onvif/device_service`,
        this.opts.name ?? 'Sanctuary doorbell sim',
        'SIM-DB1',
      );
      udp.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(3702, () => {
        udp.addMembership('239.255.255.250', '127.0.0.1');
        resolve();
      });
    });
  }

  /** Queue an event for every subscriber (a doorbell press is a DigitalInput going true). */
  emit(kind: keyof typeof TOPICS, active = true): void {
    const data =
      kind === 'doorbell'
        ? { name: 'LogicalState', value: String(active) }
        : kind === 'motion'
          ? { name: 'IsMotion', value: String(active) }
          : { name: 'IsTamper', value: String(active) };
    const source = kind === 'doorbell' ? { name: 'InputToken', value: 'DI_0' } : { name: 'VideoSourceConfigurationToken', value: 'vsc0' };
    for (const sub of this.subs.values()) {
      sub.queue.push({ topic: TOPICS[kind], time: new Date(), source, data });
      sub.waiter?.();
    }
  }

  /** A doorbell press: the input goes active, then back. */
  pressDoorbell(): void {
    this.emit('doorbell', true);
    this.emit('doorbell', false);
  }

  private checkDigest(xml: string): boolean {
    const user = /<(?:\w+:)?Username>([^<]*)</.exec(xml)?.[1];
    const digest = /<(?:\w+:)?Password[^>]*>([^<]*)</.exec(xml)?.[1];
    const nonce = /<(?:\w+:)?Nonce[^>]*>([^<]*)</.exec(xml)?.[1];
    const created = /<(?:\w+:)?Created[^>]*>([^<]*)</.exec(xml)?.[1];
    if (user === undefined || digest === undefined || nonce === undefined || created === undefined) return false;
    if (user !== this.opts.username) return false;
    // PasswordDigest = Base64(SHA-1(nonce + created + password)), WS-Security UsernameToken profile.
    const expected = createHash('sha1')
      .update(Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created, 'utf8'), Buffer.from(this.opts.password, 'utf8')]))
      .digest();
    const got = Buffer.from(digest, 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url.startsWith('/snapshot.jpg')) return this.snapshot(req, res);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const xml = Buffer.concat(chunks).toString('utf8');
    const action = /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(xml)?.[1] ?? 'Unknown';
    this.calls.push(action);
    const send = (body: string, status = 200) => {
      res.writeHead(status, { 'content-type': 'application/soap+xml; charset=utf-8' });
      res.end(body);
    };
    if (action !== 'GetSystemDateAndTime' && !this.checkDigest(xml)) {
      this.authFailures++;
      return send(soap.fault('s:Sender', 'ter:NotAuthorized', 'Sender not Authorized'), 400);
    }
    const now = new Date();
    const main: soap.SimProfile = { token: 'main', name: 'MainStream', width: 768, height: 576, fps: 10 };
    const sub: soap.SimProfile = { token: 'sub', name: 'SubStream', width: 384, height: 288, fps: 10 };
    switch (action) {
      case 'GetSystemDateAndTime':
        return send(soap.systemDateAndTime(new Date(now.getTime() + this.clockOffsetMs)));
      case 'GetServices':
        return send(soap.services(this.base));
      case 'GetCapabilities':
        return send(soap.capabilities(this.base));
      case 'GetDeviceInformation':
        return send(soap.deviceInformation({ manufacturer: 'Sanctuary', model: 'Doorbell simulator', serial: this.uuid.slice(0, 8) }));
      case 'GetProfiles':
        return send(soap.profiles(this.opts.subStreamUrl ? [main, sub] : [main]));
      case 'GetVideoSources':
        return send(soap.videoSources(main));
      case 'GetStreamUri': {
        const token = /<(?:\w+:)?ProfileToken>([^<]*)</.exec(xml)?.[1];
        const uri = token === 'sub' && this.opts.subStreamUrl ? this.opts.subStreamUrl : this.opts.mainStreamUrl;
        return send(soap.mediaUri('GetStreamUriResponse', uri));
      }
      case 'GetSnapshotUri':
        return send(soap.mediaUri('GetSnapshotUriResponse', `${this.base}/snapshot.jpg`));
      case 'CreatePullPointSubscription': {
        const id = randomUUID();
        const sub: Subscription = { id, queue: [], terminatesAt: Date.now() + 120_000, waiter: null };
        this.subs.set(id, sub);
        return send(soap.subscriptionCreated(`${this.base}/onvif/subscription/${id}`, now, new Date(sub.terminatesAt)));
      }
      case 'PullMessages':
      case 'Renew':
      case 'Unsubscribe':
        return this.subscriptionCall(action, url, send);
      default:
        return send(soap.fault('s:Receiver', 'ter:ActionNotSupported', `${action} is not supported by the simulator`), 400);
    }
  }

  private async subscriptionCall(action: string, url: string, send: (body: string, status?: number) => void): Promise<void> {
    const id = /\/onvif\/subscription\/([\w-]+)/.exec(url)?.[1] ?? '';
    const sub = this.subs.get(id);
    if (!sub || sub.terminatesAt < Date.now()) {
      return send(soap.fault('s:Receiver', 'ter:InvalidArgVal', 'no such subscription (expired or unsubscribed)'), 400);
    }
    if (action === 'Unsubscribe') {
      this.subs.delete(id);
      sub.waiter?.();
      return send(soap.unsubscribed());
    }
    if (action === 'Renew') {
      sub.terminatesAt = Date.now() + 120_000;
      return send(soap.renewed(new Date(), new Date(sub.terminatesAt)));
    }
    if (sub.queue.length === 0) {
      // Long poll: answer as soon as an event arrives, or empty after the wait.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.opts.pullWaitMs ?? 1000);
        sub.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      sub.waiter = null;
    }
    const messages = sub.queue.splice(0, 10);
    send(soap.pulled(new Date(), new Date(sub.terminatesAt), messages));
  }

  private async snapshot(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = req.headers.authorization ?? '';
    const expected = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password}`).toString('base64')}`;
    if (auth !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="doorbell"' });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'image/jpeg' });
    res.end(await readFile(this.opts.snapshotFile));
  }

  async stop(): Promise<void> {
    for (const sub of this.subs.values()) sub.waiter?.();
    this.subs.clear();
    const udp = this.udp;
    this.udp = null;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    const http = this.http;
    this.http = null;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }
}
