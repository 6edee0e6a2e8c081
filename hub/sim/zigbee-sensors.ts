/**
 * Simulated Zigbee2MQTT contact sensors and a warning device (siren), publishing and answering
 * exactly as Zigbee2MQTT does on `<base>/<friendly_name>`. Used by the demo and the tests.
 */
import mqtt, { type MqttClient } from 'mqtt';

export interface SimContactSensor {
  friendlyName: string;
  contact: boolean;
  battery: number;
  tamper: boolean;
}

export class ZigbeeSim {
  private client: MqttClient | null = null;
  readonly sensors = new Map<string, SimContactSensor>();
  /** Commands the siren received (payloads of `<base>/<siren>/set`). */
  readonly sirenCommands: Array<{ ts: number; payload: unknown }> = [];
  private sirenListeners = new Set<(payload: unknown) => void>();

  constructor(
    private readonly url: string,
    private readonly baseTopic = 'zigbee2mqtt',
    private readonly sirenName: string | null = null,
  ) {}

  async start(): Promise<void> {
    this.client = await mqtt.connectAsync(this.url, {
      clientId: `zigbee-sim-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 500,
    });
    if (this.sirenName) {
      const topic = `${this.baseTopic}/${this.sirenName}/set`;
      this.client.on('message', (t, payload) => {
        if (t !== topic) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(payload.toString());
        } catch {
          parsed = payload.toString();
        }
        this.sirenCommands.push({ ts: Date.now(), payload: parsed });
        for (const l of this.sirenListeners) l(parsed);
      });
      await this.client.subscribeAsync(topic, { qos: 1 });
      await this.client.publishAsync(`${this.baseTopic}/${this.sirenName}/availability`, JSON.stringify({ state: 'online' }), {
        retain: true,
      });
    }
  }

  onSiren(fn: (payload: unknown) => void): () => void {
    this.sirenListeners.add(fn);
    return () => this.sirenListeners.delete(fn);
  }

  /** The next siren command matching `predicate` (e.g. a warning with mode "stop"). */
  nextSiren(predicate: (payload: unknown) => boolean = () => true, timeoutMs = 10_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no siren command within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onSiren((p) => {
        if (!predicate(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }

  /** The retained message on `topic` (what a home automation sees when it connects), or null. */
  async readRetained(topic: string, waitMs = 500): Promise<string | null> {
    const c = await mqtt.connectAsync(this.url, { clientId: `zigbee-sim-reader-${Math.random().toString(16).slice(2, 8)}` });
    try {
      return await new Promise<string | null>((resolve, reject) => {
        const timer = setTimeout(() => resolve(null), waitMs);
        c.on('message', (t, payload, packet) => {
          if (t !== topic || !packet.retain) return;
          clearTimeout(timer);
          resolve(payload.toString());
        });
        c.subscribeAsync(topic, { qos: 1 }).then(undefined, (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    } finally {
      await c.endAsync(true);
    }
  }

  /**
   * The retained value of a topic once it is `expected` (or the last one read after `timeoutMs`):
   * a state the hub publishes as it changes reaches the broker some milliseconds after the API
   * that changed it has answered.
   */
  async retainedBecomes(topic: string, expected: string, timeoutMs = 2000): Promise<string | null> {
    const until = Date.now() + timeoutMs;
    let value = await this.readRetained(topic, 100);
    while (value !== expected && Date.now() < until) value = await this.readRetained(topic, 100);
    return value;
  }

  addContactSensor(friendlyName: string): SimContactSensor {
    const s = { friendlyName, contact: true, battery: 97, tamper: false };
    this.sensors.set(friendlyName, s);
    return s;
  }

  /** Publish the sensor's state as Zigbee2MQTT does (contact: true means closed). */
  async report(friendlyName: string, change: Partial<Omit<SimContactSensor, 'friendlyName'>> = {}): Promise<void> {
    const s = this.sensors.get(friendlyName) ?? this.addContactSensor(friendlyName);
    Object.assign(s, change);
    await this.publishRaw(
      `${this.baseTopic}/${friendlyName}`,
      JSON.stringify({
        contact: s.contact,
        battery: s.battery,
        battery_low: s.battery < 15,
        tamper: s.tamper,
        linkquality: 120,
        voltage: 3000,
      }),
    );
  }

  open(friendlyName: string): Promise<void> {
    return this.report(friendlyName, { contact: false });
  }

  close(friendlyName: string): Promise<void> {
    return this.report(friendlyName, { contact: true });
  }

  async availability(friendlyName: string, online: boolean): Promise<void> {
    await this.publishRaw(`${this.baseTopic}/${friendlyName}/availability`, JSON.stringify({ state: online ? 'online' : 'offline' }), true);
  }

  /** A Zigbee2MQTT button press (`action`: single, double, hold, ...). */
  async press(friendlyName: string, action: string): Promise<void> {
    await this.publishRaw(`${this.baseTopic}/${friendlyName}`, JSON.stringify({ action, battery: 90, linkquality: 100 }));
  }

  async publishRaw(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    if (!this.client) throw new Error('zigbee sim not started');
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true);
  }
}
