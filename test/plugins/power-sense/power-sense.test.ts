/**
 * The power-sense plugin reads mains and battery from what the hardware offers and feeds the
 * hub's PowerMonitor: a state file changed by the test (the simulated source), a GPIO value file
 * (what sysfs exposes for a UPS HAT's power-fail pin), and `upower` (here a stand-in executable
 * printing what upower prints for a USB UPS: the hardware is what a test may fake). Mains loss and
 * low battery reach the suite's DC-09 receiver as AT/YT with consent, health shows them, and a
 * source that cannot be read is a health failure, never a false mains failure.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PowerSensePlugin, powerSenseConfigSchema } from '../../../plugins/power-sense/index.js';
import { parseGpioget, parseUpowerInfo, pickUpowerDevices, upowerReading } from '../../../plugins/power-sense/readers.js';
import type { ApiClient } from '../../helpers/api-client.js';
import { Dc09TestReceiver } from '../../helpers/dc09-receiver.js';
import type { TestHub } from '../../helpers/hub.js';
import { setConsent, signIn, startAlertHub, storedAlerts, until } from '../../hub/alerts/alert-hub.js';

const UPS_ONLINE = `  native-path:          hiddev0
  vendor:               American Power Conversion
  model:                Back-UPS ES 700G
  power supply:         yes
  updated:              Tue 01 Dec 2026 13:00:00 UTC (1 seconds ago)
  has history:          yes
  has statistics:       yes
  ups
    present:             yes
    state:               fully-charged
    warning-level:       none
    time to empty:       1.2 hours
    percentage:          100%
    icon-name:          'battery-full-charged-symbolic'
`;

describe('power-sense readers', () => {
  it('reads a UPS from upower -e / -i, with or without a line-power device', () => {
    const list =
      '/org/freedesktop/UPower/devices/line_power_AC\n/org/freedesktop/UPower/devices/ups_hiddev0\n/org/freedesktop/UPower/devices/DisplayDevice\n';
    expect(pickUpowerDevices(list, null)).toEqual({
      line: '/org/freedesktop/UPower/devices/line_power_AC',
      battery: '/org/freedesktop/UPower/devices/ups_hiddev0',
    });
    expect(() => pickUpowerDevices('/org/freedesktop/UPower/devices/DisplayDevice\n', null)).toThrow(/no UPS, battery or mains supply/);
    expect(() => pickUpowerDevices(list, 'battery_BAT9')).toThrow(/no device "battery_BAT9".*line_power_AC, ups_hiddev0/);
    const ups = parseUpowerInfo(UPS_ONLINE);
    expect(upowerReading(null, ups, 25)).toEqual({ mains: 'on', battery: 'ok', detail: 'upower: Back-UPS ES 700G 100% fully-charged' });
    const onBattery = parseUpowerInfo(UPS_ONLINE.replace('fully-charged', 'discharging').replace('100%', '18%'));
    expect(upowerReading(null, onBattery, 25)).toMatchObject({ mains: 'off', battery: 'low' });
    const line = parseUpowerInfo(
      '  native-path:          AC\n  power supply:         yes\n  line-power\n    warning-level:       none\n    online:              no\n',
    );
    expect(upowerReading(line, ups, 25)).toMatchObject({ mains: 'off', battery: 'ok' });
    const warned = parseUpowerInfo(UPS_ONLINE.replace('warning-level:       none', 'warning-level:       critical'));
    expect(upowerReading(null, warned, 25).battery).toBe('low');
    expect(() => upowerReading(parseUpowerInfo('  line-power\n    online:  maybe\n'), null, 25)).toThrow(/"online" is "maybe"/);
  });

  it('reads gpioget from libgpiod 1.x and 2.x, and refuses anything else', () => {
    expect(parseGpioget('0\n')).toBe(0);
    expect(parseGpioget('"17"=active\n')).toBe(1);
    expect(parseGpioget('"17"=inactive\n')).toBe(0);
    expect(() => parseGpioget('gpioget: error')).toThrow(/not a line value/);
  });

  it('bad config is a clear error naming the field, never a crash', () => {
    const issue = (v: unknown) => {
      const r = powerSenseConfigSchema.safeParse(v);
      return r.success ? 'accepted' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    };
    expect(issue({ enabled: true })).toMatch(/sources: name at least one power source/);
    expect(issue({ sources: [{ type: 'file', path: 'relative/state' }] })).toMatch(/sources.0.path: an absolute path/);
    expect(issue({ sources: [{ type: 'gpio' }] })).toMatch(/give the mains and\/or batteryLow input/);
    expect(issue({ sources: [{ type: 'gpio', mains: { chip: 'spi0', line: 6 } }] })).toMatch(/sources\.0\.mains/);
    expect(issue({ sources: [{ type: 'upower' }, { type: 'upower' }] })).toMatch(/sources.1.id: "upower" is used twice/);
    expect(issue({ sources: [{ type: 'ups-hat' }] })).toMatch(/sources.0.type/);
    expect(issue({ enabled: true, sources: [{ type: 'gpio', mains: { chip: 'gpiochip0', line: 6 } }] })).toBe('accepted');
  });
});

describe('power-sense to the ARC', () => {
  const receivers: Dc09TestReceiver[] = [];
  const hubs: TestHub[] = [];
  let dir = '';

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'power-sense-'));
  });

  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    for (const r of receivers.splice(0)) await r.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(config: Record<string, unknown>, plugin = new PowerSensePlugin()) {
    const arc = new Dc09TestReceiver();
    await arc.start();
    receivers.push(arc);
    const t = await startAlertHub({
      receiver: arc,
      extraPlugins: [plugin],
      pluginConfig: { 'power-sense': { enabled: true, pollSeconds: 0.05, confirmReads: 1, ...config } },
    });
    hubs.push(t);
    const owner = await signIn(t);
    await setConsent(owner, { kinds: { link_loss: 'automatic' } });
    return { arc, t, owner };
  }

  const health = async (owner: ApiClient) =>
    (await owner.get<{ components: Record<string, { status: string; message: string }> }>('/api/health')).body.components[
      'plugin:power-sense'
    ];

  it('the simulated source: a power cut and a flat battery go as AT and YT, their ends as AR and YR, and health shows them', async () => {
    const state = join(dir, 'power');
    await writeFile(state, 'mains=on\nbattery=ok\n');
    const { arc, owner } = await start({ sources: [{ type: 'file', path: state }] });
    expect(await health(owner)).toMatchObject({ status: 'ok' });
    await writeFile(state, 'mains=off\nbattery=ok\ndetail=UPS HAT 3.9 V\n');
    await arc.waitFor((r) => r.alarms().length === 1);
    const cut = await until(
      () => health(owner),
      (h) => h?.status === 'degraded',
    );
    expect(cut?.message).toMatch(/mains power lost, running on battery.*simulated: UPS HAT 3.9 V/);
    await writeFile(state, 'mains=off\nbattery=low\n');
    await arc.waitFor((r) => r.alarms().length === 2);
    await writeFile(state, 'mains=on\nbattery=ok\n');
    await arc.waitFor((r) => r.alarms().length === 4);
    expect(arc.alarms().map((f) => f.code)).toEqual(['AT', 'YT', 'AR', 'YR']);
    await until(
      () => health(owner),
      (h) => h?.status === 'ok',
    );
  });

  it('a GPIO power-fail pin (sysfs value file), active low: 0 is mains failed', async () => {
    const value = join(dir, 'value');
    await writeFile(value, '1\n');
    const { arc } = await start({ sources: [{ type: 'gpio', id: 'ups-hat', mains: { path: value, faultLevel: 0 } }] });
    await writeFile(value, '0\n');
    await arc.waitFor((r) => r.alarms().length === 1);
    await writeFile(value, '1\n');
    await arc.waitFor((r) => r.alarms().length === 2);
    expect(arc.alarms().map((f) => f.code)).toEqual(['AT', 'AR']);
  });

  it('upower on a USB UPS: the UPS going on battery is a mains failure', async () => {
    const tool = join(dir, 'upower');
    const info = join(dir, 'ups.txt');
    // A stand-in for the hardware: prints what upower prints for the UPS, from a file the test changes.
    await writeFile(
      tool,
      `#!/bin/sh\nif [ "$1" = "-e" ]; then echo /org/freedesktop/UPower/devices/ups_hiddev0; echo /org/freedesktop/UPower/devices/DisplayDevice; exit 0; fi\n[ "$2" = /org/freedesktop/UPower/devices/ups_hiddev0 ] || { echo "no such device" >&2; exit 1; }\ncat "${info}"\n`,
    );
    await chmod(tool, 0o755);
    await writeFile(info, UPS_ONLINE);
    const { arc, owner } = await start({ sources: [{ type: 'upower' }] }, new PowerSensePlugin({ upower: tool }));
    expect((await health(owner))?.message).toMatch(/upower: mains on, battery ok \(upower: Back-UPS ES 700G 100% fully-charged\)/);
    await writeFile(info, UPS_ONLINE.replace('fully-charged', 'discharging').replace('100%', '64%'));
    await arc.waitFor((r) => r.alarms().length === 1);
    expect(arc.alarms()[0]?.code).toBe('AT');
  });

  it('a source that cannot be read is a health failure naming it, and sends nothing', async () => {
    const value = join(dir, 'value');
    const { arc, t, owner } = await start(
      { sources: [{ type: 'gpio', id: 'ups-hat', mains: { path: value } }, { type: 'upower' }] },
      new PowerSensePlugin({ upower: join(dir, 'no-upower-here') }),
    );
    const h = await health(owner);
    expect(h?.status).toBe('failed');
    expect(h?.message).toMatch(/ups-hat cannot be read: .*value does not exist \(is the GPIO exported/);
    expect(h?.message).toMatch(/upower cannot be read: .*no-upower-here is not installed/);
    // Garbage in the value file: named, not echoed, and still no power state.
    await writeFile(value, 'root:x:0:0\n');
    await until(
      () => health(owner),
      (x) => /holds 10 other characters/.test(x?.message ?? ''),
    );
    expect(JSON.stringify(await health(owner))).not.toContain('root:x');
    await writeFile(value, '0\n');
    await arc.waitFor((r) => r.alarms().length === 1); // readable again: the pin says mains failed
    expect(arc.alarms().map((f) => f.code)).toEqual(['AT']);
    expect((await storedAlerts(t)).map((a) => `${a.kind}/${a.phase}`)).toEqual(['link_loss/alarm']);
  });

  it('a change counts only once it holds for confirmReads reads in a row', async () => {
    const state = join(dir, 'power');
    await writeFile(state, 'mains=on\n');
    const plugin = new PowerSensePlugin();
    const { arc, t } = await start({ confirmReads: 3, pollSeconds: 3600, sources: [{ type: 'file', path: state }] }, plugin);
    const reports: string[] = [];
    const off = t.hub.core.services.power.onChange('test', (_s, st) => reports.push(st.mains));
    try {
      await writeFile(state, 'mains=off\n');
      // Drive the polls by hand (the timer is an hour): two reads of "off", then a bounce back.
      const poll = () => plugin.pollNow();
      await poll();
      await poll();
      await writeFile(state, 'mains=on\n');
      await poll();
      expect(reports).toEqual([]);
      await writeFile(state, 'mains=off\n');
      await poll();
      await poll();
      await poll();
      expect(reports).toEqual(['off']);
      await arc.waitFor((r) => r.alarms().length === 1);
    } finally {
      off();
    }
  });
});
