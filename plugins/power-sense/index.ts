/**
 * `power-sense`: mains and backup battery state from the hardware, fed to the hub's PowerMonitor
 * so a mains failure (SIA AT) and a low battery (YT) reach the ARC under the owner's consent for
 * "power or link loss", and the installer sees them in health. Sources, each polled:
 * - `upower`: a USB UPS, a battery or a line-power supply as UPower sees it (`upower -e`, `-i`);
 * - `gpio`: a UPS HAT's power-fail / battery-low pins, read from their sysfs value files or from
 *   the gpiochip character device with libgpiod's `gpioget`;
 * - `file`: a file holding `mains=on|off battery=ok|low` (the simulated source for tests and demo).
 * A source that cannot be read is a health failure naming what is wrong, never a power state: a
 * missing tool or a wrong path does not send a false mains failure to the ARC.
 */
import { z } from 'zod';
import { describeError } from '../../hub/api/errors.js';
import type { HealthStatus, HubPlugin, PluginContext } from '../../hub/api/index.js';
import {
  PowerReadError,
  parseGpioget,
  parseUpowerInfo,
  pickUpowerDevices,
  type Reading,
  readLevel,
  readStateFile,
  run,
  upowerReading,
} from './readers.js';

const id = z.string().regex(/^[a-z0-9-]{1,32}$/, 'a short id: a-z, 0-9 and -');

/** One GPIO input: a sysfs value file, or a line of a gpiochip; `faultLevel` is the level that means trouble. */
const gpioLine = z.union([
  z.strictObject({
    path: z.string().startsWith('/', 'an absolute path, e.g. /sys/class/gpio/gpio6/value'),
    faultLevel: z.union([z.literal(0), z.literal(1)]).default(0),
  }),
  z.strictObject({
    chip: z.string().regex(/^(gpiochip\d{1,3}|\/dev\/gpiochip\d{1,3})$/, 'a gpiochip, e.g. gpiochip0'),
    line: z.number().int().min(0).max(1023),
    faultLevel: z.union([z.literal(0), z.literal(1)]).default(0),
  }),
]);

const source = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('upower'),
    id: id.default('upower'),
    /** A UPower device path or name (`ups_hiddev0`); default: the first UPS, else the first battery. */
    device: z.string().min(1).max(200).nullable().default(null),
    /** Below this percentage the battery counts as low (UPower's own low warning counts too). */
    lowPercent: z.number().min(1).max(99).default(25),
  }),
  z
    .strictObject({
      type: z.literal('gpio'),
      id: id.default('gpio'),
      /** The power-fail input (mains present or not). */
      mains: gpioLine.nullable().default(null),
      /** The battery-low input. */
      batteryLow: gpioLine.nullable().default(null),
    })
    .refine((g) => g.mains !== null || g.batteryLow !== null, { message: 'give the mains and/or batteryLow input', path: ['mains'] }),
  z.strictObject({ type: z.literal('file'), id: id.default('simulated'), path: z.string().startsWith('/', 'an absolute path') }),
]);

export const powerSenseConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    pollSeconds: z.number().min(0.05).max(3600).default(5),
    /** A change counts once this many reads in a row agree (a bouncing pin, a brownout). */
    confirmReads: z.number().int().min(1).max(20).default(2),
    sources: z.array(source).max(8).default([]),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.sources.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({ code: 'custom', path: ['sources', i, 'id'], message: `"${s.id}" is used twice: give each source its own id` });
      seen.add(s.id);
    });
    if (c.enabled && c.sources.length === 0)
      ctx.addIssue({ code: 'custom', path: ['sources'], message: 'name at least one power source to enable power sensing' });
  })
  .prefault({});

export type PowerSenseConfig = z.infer<typeof powerSenseConfigSchema>;
type Source = PowerSenseConfig['sources'][number];
type Line = z.infer<typeof gpioLine>;

export interface PowerSenseOptions {
  /** The tools' names (a test may point them at a stand-in for the hardware). */
  upower?: string;
  gpioget?: string;
  timeoutMs?: number;
}

interface SourceState {
  source: Source;
  last: Reading | null;
  pending: { key: string; count: number } | null;
  error: string | null;
}

export class PowerSensePlugin implements HubPlugin<PowerSenseConfig> {
  readonly id = 'power-sense';
  readonly configSchema = powerSenseConfigSchema;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** gpioget syntax that worked: libgpiod 1.x `gpioget chip line`, 2.x `gpioget -c chip line`. */
  private gpiogetV2: boolean | null = null;
  private ctx: PluginContext<PowerSenseConfig> | null = null;
  private states: SourceState[] = [];

  constructor(private readonly opts: PowerSenseOptions = {}) {}

  async start(ctx: PluginContext<PowerSenseConfig>): Promise<void> {
    const c = ctx.config;
    this.stopped = false;
    if (!c.enabled) {
      ctx.health.report('ok', 'power sensing off (no mains or battery input configured)');
      return;
    }
    this.ctx = ctx;
    this.states = c.sources.map((source) => ({ source, last: null, pending: null, error: null }));
    const loop = async () => {
      try {
        await this.pollNow();
      } catch (err) {
        ctx.log.error({ err: describeError(err) }, 'power poll crashed');
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), c.pollSeconds * 1000);
    };
    // The first reading is known before start returns, so health says the truth from the start.
    await loop();
  }

  /** Read every source once (the timer does this every `pollSeconds`). */
  async pollNow(): Promise<void> {
    const ctx = this.ctx;
    if (!ctx) return;
    for (const s of this.states) {
      if (this.stopped) return;
      await this.pollOne(ctx, s, ctx.config.confirmReads);
    }
    this.health(ctx, this.states);
  }

  private async pollOne(ctx: PluginContext<PowerSenseConfig>, s: SourceState, confirmReads: number): Promise<void> {
    let r: Reading;
    try {
      r = await this.read(s.source);
    } catch (err) {
      const msg = err instanceof PowerReadError ? err.message : describeError(err);
      if (s.error !== msg) ctx.log.warn({ source: s.source.id, problem: msg }, 'power source unreadable');
      s.error = msg;
      s.pending = null;
      return;
    }
    if (s.error !== null) ctx.log.info({ source: s.source.id }, 'power source readable again');
    s.error = null;
    const key = `${r.mains}/${r.battery}`;
    const lastKey = s.last ? `${s.last.mains}/${s.last.battery}` : null;
    if (lastKey !== null && key !== lastKey) {
      // A change must hold for `confirmReads` reads in a row.
      s.pending = s.pending?.key === key ? { key, count: s.pending.count + 1 } : { key, count: 1 };
      if (s.pending.count < confirmReads) return;
    }
    s.pending = null;
    s.last = r;
    ctx.services.power.report(`power-sense:${s.source.id}`, {
      // A source that senses only the battery cannot tell the mains: no trouble known there.
      mains: r.mains ?? 'on',
      battery: r.battery ?? 'none',
      detail: r.detail,
    });
  }

  private health(ctx: PluginContext<PowerSenseConfig>, states: SourceState[]): void {
    const broken = states.filter((s) => s.error !== null);
    const words = states
      .filter((s) => s.last !== null && s.error === null)
      .map((s) => `${s.source.id}: mains ${s.last?.mains ?? 'not sensed'}, battery ${s.last?.battery ?? 'not sensed'} (${s.last?.detail})`);
    let status: HealthStatus = 'ok';
    let message = words.join('; ');
    if (states.some((s) => s.error === null && s.last?.mains === 'off')) {
      status = 'degraded';
      message = `mains power lost, running on battery. ${message}`;
    } else if (states.some((s) => s.error === null && s.last?.battery === 'low')) {
      status = 'degraded';
      message = `backup battery low. ${message}`;
    }
    if (broken.length > 0) {
      status = 'failed';
      message = `${broken.map((s) => `${s.source.id} cannot be read: ${s.error}`).join('; ')}${words.length ? `. ${message}` : ''}`;
    }
    ctx.health.report(status, message.trim());
  }

  private async read(s: Source): Promise<Reading> {
    const timeout = this.opts.timeoutMs ?? 5000;
    switch (s.type) {
      case 'file':
        return readStateFile(s.path);
      case 'upower': {
        const tool = this.opts.upower ?? 'upower';
        const devices = pickUpowerDevices(await run(tool, ['-e'], timeout), s.device);
        const info = async (path: string | null) => (path ? parseUpowerInfo(await run(tool, ['-i', path], timeout)) : null);
        return upowerReading(await info(devices.line), await info(devices.battery), s.lowPercent);
      }
      case 'gpio': {
        const mains = s.mains ? await this.level(s.mains) : null;
        const low = s.batteryLow ? await this.level(s.batteryLow) : null;
        const parts: string[] = [];
        if (s.mains && mains !== null) parts.push(`power-fail pin ${mains}`);
        if (s.batteryLow && low !== null) parts.push(`battery-low pin ${low}`);
        return {
          mains: s.mains && mains !== null ? (mains === s.mains.faultLevel ? 'off' : 'on') : null,
          battery: s.batteryLow && low !== null ? (low === s.batteryLow.faultLevel ? 'low' : 'ok') : null,
          detail: `GPIO: ${parts.join(', ')}`,
        };
      }
    }
  }

  private async level(l: Line): Promise<0 | 1> {
    if ('path' in l) return readLevel(l.path);
    const tool = this.opts.gpioget ?? 'gpioget';
    const timeout = this.opts.timeoutMs ?? 5000;
    const chip = l.chip.replace(/^\/dev\//, '');
    if (this.gpiogetV2 !== true) {
      try {
        const v = parseGpioget(await run(tool, [chip, String(l.line)], timeout));
        this.gpiogetV2 = false;
        return v;
      } catch (err) {
        if (this.gpiogetV2 === false || (err instanceof PowerReadError && /not installed/.test(err.message))) throw err;
      }
    }
    const v = parseGpioget(await run(tool, ['-c', chip, String(l.line)], timeout));
    this.gpiogetV2 = true;
    return v;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ctx = null;
    this.states = [];
  }
}

export function powerSensePlugin(opts?: PowerSenseOptions): PowerSensePlugin {
  return new PowerSensePlugin(opts);
}
