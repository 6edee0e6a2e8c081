/**
 * The ONVIF client against what real cameras send, not only our simulator: responses shaped as
 * public captures from Hikvision, Reolink, Axis and D-Link devices (test/fixtures/onvif, sources
 * in SOURCES.md) are served over real HTTP on loopback and read by the same code the plugin runs
 * (`connectCamera`, the `onvif` package's PullPoint calls, `mapNotification`). Quirks covered: no
 * GetServices (fallback to GetCapabilities), service addresses naming the camera's own LAN IP,
 * a camera clock in another time zone, upper-case FALSE, `IsMotion` / `IsTamper` / `State` /
 * lower-case `state` with 0/1, vendor topic namespaces (tnshik, tnsaxis), Reolink's doorbell as
 * `MyRuleDetector/Visitor`, and the Initialized state every camera sends on subscribing (which
 * must not ring the doorbell).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraSignal, mapNotification } from '../../../plugins/onvif-camera/event-pull.js';
import { clockWords } from '../../../plugins/onvif-camera/index.js';
import { call, cameraUtcFrom, connectCamera, MAX_SOAP_BYTES } from '../../../plugins/onvif-camera/onvif-client.js';
import { LogCapture } from '../../helpers/log-capture.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/onvif/', import.meta.url));

function faultXml(reason: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:ter="http://www.onvif.org/ver10/error"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value>' +
    '<env:Subcode><env:Value>ter:ActionNotSupported</env:Value></env:Subcode></env:Code><env:Reason>' +
    `<env:Text xml:lang="en">${reason}</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`
  );
}

/** Answers each SOAP operation with `<brand>-<Operation>[.<ProfileToken>].xml`, else a fault (as a camera without it). */
class FixtureCamera {
  private server: Server | null = null;
  port = 0;
  pullBrand = 'hikvision';
  /** Answer GetProfiles with this many bytes of (valid) XML comment padding. */
  profilesPadding = 0;
  readonly operations: string[] = [];

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const op = /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(body)?.[1] ?? 'unknown';
        const token = /<(?:\w+:)?ProfileToken>([^<]+)</.exec(body)?.[1];
        this.operations.push(op);
        if (op === 'GetProfiles' && this.profilesPadding > 0) {
          res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
          res.end(`<?xml version="1.0"?><!--${'x'.repeat(this.profilesPadding)}--><x/>`);
          return;
        }
        const names =
          op === 'PullMessages'
            ? [`${this.pullBrand}-PullMessages.xml`]
            : op === 'CreatePullPointSubscription'
              ? ['CreatePullPointSubscription.xml']
              : [...(token ? [`hikvision-${op}.${token}.xml`] : []), `hikvision-${op}.xml`];
        void this.answer(names, res);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
  }

  private async answer(names: string[], res: import('node:http').ServerResponse): Promise<void> {
    for (const n of names) {
      try {
        const xml = await readFile(`${FIXTURES}${n}`, 'utf8');
        res.writeHead(200, { 'content-type': 'application/soap+xml; charset=utf-8' });
        res.end(xml);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    res.writeHead(500, { 'content-type': 'application/soap+xml; charset=utf-8' });
    res.end(faultXml('Optional Action Not Implemented'));
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

describe('ONVIF client against real-device responses', () => {
  const cam = new FixtureCamera();
  const logs = new LogCapture();
  beforeAll(() => cam.start());
  afterAll(() => cam.stop());

  const connect = () =>
    connectCamera({ type: 'onvif', host: '127.0.0.1', port: cam.port, username: 'admin', password: 'pw' }, 5000, logs.logger);

  it('Hikvision: without GetServices it falls back to GetCapabilities; main and sub stream from the profiles', async () => {
    const c = await connect();
    c.agent.destroy();
    expect(cam.operations.slice(0, 3)).toEqual(['GetSystemDateAndTime', 'GetServices', 'GetCapabilities']);
    expect(c.streams).toEqual({
      // The camera names its own LAN address; the hub keeps the one it reached it on only for SOAP.
      mainUrl: 'rtsp://192.168.1.64:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1',
      subUrl: 'rtsp://192.168.1.64:554/Streaming/Channels/102?transportmode=unicast&profile=Profile_2',
      // No GetSnapshotUri answer: snapshots come from the stream.
      snapshotUrl: null,
      username: 'admin',
      password: 'pw',
    });
    expect(cam.operations).toContain('GetSnapshotUri');
  });

  it("Hikvision: the camera's clock is its UTCDateTime (not its local time in another zone), set against the hub's", async () => {
    const xml = await readFile(`${FIXTURES}hikvision-GetSystemDateAndTime.xml`, 'utf8');
    // The capture: UTC 09:55:38, local (CST-8) 17:55:38, set by hand.
    expect(cameraUtcFrom(xml)).toEqual({ utcMs: Date.UTC(2020, 4, 24, 9, 55, 38), ntp: false });
    const before = Date.now();
    const c = await connect();
    c.agent.destroy();
    const after = Date.now();
    const clock = c.clock;
    if (!clock) throw new Error('no clock reading');
    const utc = Date.UTC(2020, 4, 24, 9, 55, 38);
    expect(clock.offsetMs).toBeGreaterThanOrEqual(utc - after);
    expect(clock.offsetMs).toBeLessThanOrEqual(utc + 1000 - before);
    expect(clock.ntp).toBe(false);
    expect(clockWords(clock)).toMatch(/^the camera's clock is \d+\.\d days behind the hub's \(ONVIF\); set the camera to use NTP$/);
    // Only a UTC time counts: local time alone (or nothing, as some cameras send) is "unknown", not "on time".
    const localOnly = xml.replace(/<tt:UTCDateTime>[\s\S]*?<\/tt:UTCDateTime>/, '');
    expect(cameraUtcFrom(localOnly)).toBeNull();
    expect(cameraUtcFrom(xml.replace('<tt:Month>5</tt:Month>', '<tt:Month>13</tt:Month>'))).toBeNull();
  });

  it('an answer larger than the limit is refused with an error that says so, and nothing crashes', async () => {
    cam.profilesPadding = MAX_SOAP_BYTES + 1024;
    try {
      await expect(connect()).rejects.toThrow(/ONVIF answer was longer than 1048576 bytes/);
    } finally {
      cam.profilesPadding = 0;
    }
  });

  async function pulledRaw(brand: string): Promise<Parameters<typeof mapNotification>[0][]> {
    cam.pullBrand = brand;
    const c = await connect();
    try {
      await call((cb) => c.cam.createPullPointSubscription(cb));
      const data = await call<{ notificationMessage?: unknown }>((cb) => c.cam.pullMessages({ messageLimit: 10 }, cb));
      const msgs = data.notificationMessage;
      return (Array.isArray(msgs) ? msgs : msgs ? [msgs] : []) as Parameters<typeof mapNotification>[0][];
    } finally {
      c.agent.destroy();
    }
  }
  const pulled = async (brand: string): Promise<Array<CameraSignal | null>> => (await pulledRaw(brand)).map((m) => mapNotification(m));

  it('Hikvision: initial states (FALSE), CellMotionDetector IsMotion and TamperDetector IsTamper', async () => {
    expect(await pulled('hikvision')).toEqual([
      { kind: 'motion', active: false },
      { kind: 'tamper', active: false },
      { kind: 'motion', active: true },
      { kind: 'tamper', active: true },
    ]);
  });

  it('Reolink doorbell: Initialized Visitor=false does not ring; the press (Visitor State true) does', async () => {
    expect(await pulled('reolink')).toEqual([
      null, // Visitor, Initialized
      null, // PeopleDetect: the hub's own detector decides about people
      null, // VehicleDetect
      null, // DogCatDetect
      { kind: 'motion', active: false }, // VideoSource/MotionAlarm, Initialized
      { kind: 'motion', active: true }, // CellMotionDetector IsMotion
      { kind: 'doorbell' },
    ]);
    // The same press reported as the state on subscribing ("Initialized") is not a new press.
    const press = (await pulledRaw('reolink')).at(-1) ?? expect.fail('press');
    const initialized = structuredClone(press);
    const m = initialized.message?.message;
    if (!m?.$) throw new Error('the onvif package gave no message attributes');
    m.$.PropertyOperation = 'Initialized';
    expect(mapNotification(initialized)).toBeNull();
  });

  it('D-Link: VideoSource/MotionAlarm with State true, the rule named in Source', async () => {
    expect(await pulled('dlink')).toEqual([{ kind: 'motion', active: true }]);
  });

  it('Axis: the PIR sensor (tnsaxis topic, lower-case state with 0/1) is motion', async () => {
    expect(await pulled('axis')).toEqual([
      { kind: 'motion', active: false },
      { kind: 'motion', active: true },
    ]);
  });
});
