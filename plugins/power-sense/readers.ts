/**
 * Reading mains and battery state from what the hardware offers: `upower` (a USB UPS, a laptop
 * battery, a line-power supply), a GPIO line (a UPS HAT's power-fail pin) read from its sysfs
 * value file or through the gpiochip character device with libgpiod's `gpioget`, or a state file
 * (the simulated source for tests and the demo). Each reader returns what it could tell or throws
 * a `PowerReadError` naming what went wrong; it never guesses a state it did not read.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export type Mains = 'on' | 'off';
export type Battery = 'ok' | 'low' | 'none';

export interface Reading {
  mains: Mains | null;
  battery: Battery | null;
  detail: string;
}

export class PowerReadError extends Error {}

/** Run a tool without a shell, bounded in time; its command line never holds a secret. */
export function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, maxBuffer: 256 * 1024, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' } },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') return reject(new PowerReadError(`${cmd} is not installed (or not on PATH)`));
        if (e.killed) return reject(new PowerReadError(`${cmd} ${args.join(' ')} gave no answer within ${timeoutMs} ms`));
        const why = String(stderr).trim().split('\n')[0]?.slice(0, 160) || e.message;
        reject(new PowerReadError(`${cmd} ${args.join(' ')} failed: ${why}`));
      },
    );
  });
}

/** The `key: value` lines of `upower -i` (nested sections flattened; the first of a key wins). */
export function parseUpowerInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s+([a-z][a-z0-9 -]*?):\s+(.*?)\s*$/i.exec(line);
    if (m?.[1] && m[2] !== undefined && !out.has(m[1].toLowerCase())) out.set(m[1].toLowerCase(), m[2]);
  }
  return out;
}

export interface UpowerDevices {
  line: string | null;
  battery: string | null;
}

/** Pick the devices from `upower -e`: a line-power supply and a UPS (else a battery), or the named one. */
export function pickUpowerDevices(list: string, wanted: string | null): UpowerDevices {
  const paths = list
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/org/freedesktop/UPower/devices/'));
  const name = (p: string) => p.slice('/org/freedesktop/UPower/devices/'.length);
  const line = paths.find((p) => name(p).startsWith('line_power')) ?? null;
  if (wanted !== null) {
    const hit = paths.find((p) => p === wanted || name(p) === wanted);
    if (!hit) throw new PowerReadError(`upower has no device "${wanted}" (it lists: ${paths.map(name).join(', ') || 'none'})`);
    return { line, battery: name(hit).startsWith('line_power') ? null : hit };
  }
  const battery = paths.find((p) => name(p).startsWith('ups_')) ?? paths.find((p) => name(p).startsWith('battery_')) ?? null;
  if (!line && !battery)
    throw new PowerReadError(`upower shows no UPS, battery or mains supply (it lists: ${paths.map(name).join(', ') || 'none'})`);
  return { line, battery };
}

const LOW_WARNINGS = new Set(['low', 'critical', 'action']);

/** What `upower -i` of the line supply and of the UPS/battery say, as mains and battery state. */
export function upowerReading(line: Map<string, string> | null, battery: Map<string, string> | null, lowPercent: number): Reading {
  const parts: string[] = [];
  let mains: Mains | null = null;
  if (line) {
    const online = line.get('online');
    if (online === 'yes') mains = 'on';
    else if (online === 'no') mains = 'off';
    else throw new PowerReadError(`upower line power: "online" is ${online === undefined ? 'missing' : `"${online.slice(0, 20)}"`}`);
    parts.push(`mains ${mains === 'on' ? 'online' : 'offline'}`);
  }
  let state: Battery = 'none';
  if (battery) {
    const st = battery.get('state');
    const pct = Number.parseFloat(battery.get('percentage') ?? '');
    const warning = battery.get('warning-level') ?? 'none';
    if (st === undefined && Number.isNaN(pct)) throw new PowerReadError('upower UPS/battery: neither "state" nor "percentage" is shown');
    // Without a line-power device, a UPS that is discharging is what says the mains are gone.
    if (mains === null && st !== undefined) mains = st === 'discharging' || st === 'empty' ? 'off' : 'on';
    state = LOW_WARNINGS.has(warning) || (!Number.isNaN(pct) && pct < lowPercent) ? 'low' : 'ok';
    const model = battery.get('model');
    parts.push(`${model ? `${model.slice(0, 40)} ` : ''}${Number.isNaN(pct) ? '' : `${pct}% `}${st ?? ''}`.trim());
  }
  return { mains, battery: state, detail: `upower: ${parts.join(', ')}` };
}

/** A GPIO value file (sysfs `/sys/class/gpio/gpioN/value`) or a file standing in for one: `0` or `1`. */
export async function readLevel(path: string): Promise<0 | 1> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PowerReadError(
      code === 'ENOENT'
        ? `${path} does not exist (is the GPIO exported, is the path right?)`
        : code === 'EACCES'
          ? `${path} is not readable by the hub (add the hub's user to the gpio group)`
          : `${path} could not be read (${code ?? 'error'})`,
    );
  }
  const v = text.trim();
  if (v === '0' || v === '1') return v === '1' ? 1 : 0;
  // The content is not echoed: a mistyped path could point at anything.
  throw new PowerReadError(`${path} should hold 0 or 1 (a GPIO value) but holds ${v.length} other characters`);
}

/** `gpioget` output: libgpiod 1.x prints `0`/`1`, 2.x prints `"17"=active` or `inactive`. */
export function parseGpioget(out: string): 0 | 1 {
  const v = out.trim();
  if (v === '0' || v === '1') return v === '1' ? 1 : 0;
  const m = /=(active|inactive)$/.exec(v);
  if (m) return m[1] === 'active' ? 1 : 0;
  throw new PowerReadError(`gpioget answered "${v.slice(0, 40)}", not a line value`);
}

/**
 * The simulated source: a file holding `mains=on|off` and optionally `battery=ok|low|none` (and
 * any `detail=...`), rewritten by a test or the demo to play a power cut.
 */
export async function readStateFile(path: string): Promise<Reading> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PowerReadError(`${path} could not be read (${code === 'ENOENT' ? 'it does not exist' : (code ?? 'error')})`);
  }
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([a-z]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1]) fields.set(m[1], m[2] ?? '');
  }
  const mains = fields.get('mains');
  if (mains !== 'on' && mains !== 'off') throw new PowerReadError(`${path}: "mains" must be on or off`);
  const battery = fields.get('battery') ?? 'none';
  if (battery !== 'ok' && battery !== 'low' && battery !== 'none') throw new PowerReadError(`${path}: "battery" must be ok, low or none`);
  const detail = (fields.get('detail') ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 80);
  return { mains, battery, detail: `simulated${detail ? `: ${detail}` : ''}` };
}
