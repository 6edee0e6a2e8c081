/**
 * The alarm receiving centre (ARC) account and "send test signal". The installer enters the
 * account the ARC gave them; the hub validates it, restarts only the ARC link with it, and keeps
 * it across restarts. The AES key is never shown back (the hub answers with a mask). ARCs write
 * keys as hex digits or as plain characters, so the installer says which, and the form shows the
 * AES strength the key implies. The test signal's answer says what to check: the address (no
 * answer), the key (wrong key), the clock (out of the ARC's window).
 */
import { useEffect, useState } from 'preact/hooks';
import type { DeliveryOutcome } from '../../../../hub/api/plugin.js';
import { get, post, put } from '../../api.js';
import { Check, ErrorText, Field, Notice, Select, useAction } from '../../components/form.js';

interface TestResult {
  channel: string;
  police: boolean;
  ok: boolean;
  acknowledged?: boolean;
  outcome?: DeliveryOutcome;
  detail: string;
}

interface HealthBody {
  components: Record<string, { status: string; message: string } | undefined>;
}

interface ArcSettingsBody {
  enabled: boolean;
  host: string;
  port: number | null;
  protocol: 'tcp' | 'udp';
  account: string | null;
  receiver: string | null;
  line: string;
  key: string | null;
  keyFormat: 'hex' | 'text';
  format: 'SIA-DCS' | 'ADM-CID';
  linkTestSeconds: number;
  supervisionSeconds: number | null;
  openCloseReports: boolean;
}

interface Form {
  enabled: boolean;
  host: string;
  port: string;
  protocol: 'tcp' | 'udp';
  account: string;
  receiver: string;
  line: string;
  key: string;
  keyFormat: 'hex' | 'text';
  format: 'SIA-DCS' | 'ADM-CID';
  linkTestSeconds: string;
  supervisionSeconds: string;
  openCloseReports: boolean;
}

const MASK = '********';

/** What the typed key means: its length in bytes and the AES variant, or what is wrong with it. */
export function describeKey(key: string, format: 'hex' | 'text'): string {
  const k = key.trim();
  if (k === '') return 'No key: messages go unencrypted.';
  if (k === MASK) return `A ${format === 'hex' ? 'hex' : 'text'} key is saved. Type a new one to replace it.`;
  const bits = (bytes: number) => (bytes === 16 ? 128 : bytes === 24 ? 192 : bytes === 32 ? 256 : null);
  if (format === 'hex') {
    if (!/^[0-9A-Fa-f]*$/.test(k)) return 'Not hex: only 0-9 and A-F. If the ARC gave you other characters, choose "characters".';
    const b = k.length % 2 === 0 ? bits(k.length / 2) : null;
    return b
      ? `${k.length} hex digits = ${k.length / 2} bytes: AES-${b}.`
      : `${k.length} hex digits: a key needs 32, 48 or 64 (AES-128, 192 or 256).`;
  }
  const b = bits(k.length);
  return b
    ? `${k.length} characters = ${k.length} bytes: AES-${b}.`
    : `${k.length} characters: a key needs 16, 24 or 32 (AES-128, 192 or 256).`;
}

/** Link tests against the ARC's supervision interval. */
export function describeSupervision(linkTest: string, supervision: string): string {
  const every = Number(linkTest);
  if (supervision.trim() === '') return `No supervision interval set. Link tests go every ${every} s.`;
  const window = Number(supervision);
  if (!(every > 0)) return `The ARC supervises every ${window} s but link tests are off: it will report this hub missing.`;
  if (every > window) return `Link tests every ${every} s are too rare for the ARC's ${window} s supervision.`;
  return `The ARC raises a fault after ${window} s without a message; link tests go every ${every} s.`;
}

const OUTCOME_TEXT: Record<DeliveryOutcome, string> = {
  acknowledged: 'received and acknowledged',
  no_answer: 'got no answer: check the ARC address, port and transport, and that the ARC expects this account',
  wrong_key: 'was not understood (wrong key): check the key with the ARC, and whether it is hex digits or characters',
  clock: 'was refused because of the time (clock out of the ARC window): check the hub clock',
  refused: 'was refused by the ARC: check the account and line numbers',
  garbled: 'got an answer that is not a valid DC-09 reply: check the port is the ARC receiver',
};

function toForm(s: ArcSettingsBody): Form {
  return {
    enabled: s.enabled,
    host: s.host,
    port: s.port === null ? '' : String(s.port),
    protocol: s.protocol,
    account: s.account ?? '',
    receiver: s.receiver ?? '',
    line: s.line,
    key: s.key ?? '',
    keyFormat: s.keyFormat,
    format: s.format,
    linkTestSeconds: String(s.linkTestSeconds),
    supervisionSeconds: s.supervisionSeconds === null ? '' : String(s.supervisionSeconds),
    openCloseReports: s.openCloseReports,
  };
}

function toBody(f: Form): Record<string, unknown> {
  return {
    enabled: f.enabled,
    host: f.host.trim(),
    port: f.port.trim() === '' ? null : Number(f.port),
    protocol: f.protocol,
    account: f.account.trim() === '' ? null : f.account.trim(),
    receiver: f.receiver.trim() === '' ? null : f.receiver.trim(),
    line: f.line.trim(),
    key: f.key.trim() === '' ? null : f.key.trim(),
    keyFormat: f.keyFormat,
    format: f.format,
    linkTestSeconds: Number(f.linkTestSeconds),
    supervisionSeconds: f.supervisionSeconds.trim() === '' ? null : Number(f.supervisionSeconds),
    openCloseReports: f.openCloseReports,
  };
}

export function ArcSettings() {
  const [form, setForm] = useState<Form | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [result, setResult] = useState<TestResult | null>(null);
  const [link, setLink] = useState<{ status: string; message: string } | null>(null);
  const load = useAction();
  const save = useAction();
  const test = useAction();

  useEffect(() => {
    load.run(async () => {
      const r = await get<{ settings: ArcSettingsBody }>('/api/plugins/sia-dc09/settings');
      setForm(toForm(r.settings));
      await refreshLink();
    });
  }, []);

  // The ARC link's health: a DUH given up on, or an ARC that stopped answering, shows here.
  const refreshLink = async () => {
    const h = await get<HealthBody>('/api/health');
    setLink(h.components['plugin:sia-dc09'] ?? null);
  };

  const set =
    <K extends keyof Form>(k: K) =>
    (v: Form[K]) => {
      setSaved(null);
      setForm((f) => (f ? { ...f, [k]: v } : f));
    };

  return (
    <>
      <h1 tabIndex={-1}>Alarm receiving centre</h1>
      <section class="card" aria-labelledby="arc-account-h">
        <h2 id="arc-account-h">ARC account (SIA DC-09)</h2>
        <p>Enter the details the alarm receiving centre gave you. Alerts reach it only when the person you hand over to agrees.</p>
        <ErrorText error={load.error} />
        {form && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              save.run(async () => {
                const r = await put<{ settings: ArcSettingsBody; health: { status: string; message: string } | null }>(
                  '/api/plugins/sia-dc09/settings',
                  toBody(form),
                );
                setForm(toForm(r.settings));
                setSaved(r.health ? `Saved. Link: ${r.health.message}` : 'Saved.');
                await refreshLink();
              });
            }}
          >
            <Check label="Send alerts to this ARC" checked={form.enabled} onValue={set('enabled')} />
            <Field label="ARC address" value={form.host} onValue={set('host')} autoComplete="off" />
            <Field label="Port" value={form.port} onValue={set('port')} inputMode="numeric" autoComplete="off" />
            <Select
              label="Transport"
              value={form.protocol}
              onValue={set('protocol')}
              options={[
                ['tcp', 'TCP'],
                ['udp', 'UDP'],
              ]}
            />
            <Field label="Account number" value={form.account} onValue={set('account')} hint="3 to 16 hex digits" autoComplete="off" />
            <Field label="Receiver number" value={form.receiver} onValue={set('receiver')} hint="Optional" autoComplete="off" />
            <Field label="Line number" value={form.line} onValue={set('line')} autoComplete="off" />
            <Select
              label="The ARC wrote the key as"
              value={form.keyFormat}
              onValue={set('keyFormat')}
              options={[
                ['hex', 'Hex digits (each pair is one byte)'],
                ['text', 'Characters (the characters are the key, as Home Assistant takes it)'],
              ]}
            />
            <Field
              label="Encryption key"
              value={form.key}
              onValue={set('key')}
              type="password"
              autoComplete="off"
              hint={`${describeKey(form.key, form.keyFormat)} Leave empty to send without encryption.`}
            />
            {form.enabled && form.key.trim() === '' && (
              <p class="status warn" role="alert" data-testid="arc-clear-warning">
                No encryption key: alerts, including the home address, would go to the alarm centre in clear, readable by anyone on the
                network path. Ask the alarm centre for the AES key and enter it above.
              </p>
            )}
            <Select
              label="Message format"
              value={form.format}
              onValue={set('format')}
              options={[
                ['SIA-DCS', 'SIA (SIA-DCS)'],
                ['ADM-CID', 'Contact ID (ADM-CID)'],
              ]}
            />
            <Field
              label="Link test every (seconds)"
              value={form.linkTestSeconds}
              onValue={set('linkTestSeconds')}
              inputMode="numeric"
              hint="So the ARC notices a hub that goes silent. 0 turns link tests off."
            />
            <Field
              label="ARC supervision interval (seconds)"
              value={form.supervisionSeconds}
              onValue={set('supervisionSeconds')}
              inputMode="numeric"
              hint={`From the ARC contract. ${describeSupervision(form.linkTestSeconds, form.supervisionSeconds)}`}
            />
            <Check
              label="The ARC contract asks for opening/closing reports (OP/CL)"
              checked={form.openCloseReports}
              onValue={set('openCloseReports')}
            />
            <p class="hint" data-testid="arc-open-close">
              {form.openCloseReports
                ? 'Opening/closing reports: the contract asks for them. CL goes when the alarm is set and OP when it is unset, only if the person you hand over to agrees to them.'
                : 'Opening/closing reports: the contract does not ask for them, so none are sent.'}
            </p>
            <button type="submit" class="primary" disabled={save.busy}>
              {save.busy ? 'Saving…' : 'Save ARC account'}
            </button>
            <ErrorText error={save.error} />
            {saved && <Notice>{saved}</Notice>}
          </form>
        )}
      </section>
      <section class="card" aria-labelledby="arc-test-h">
        <h2 id="arc-test-h">Test the link</h2>
        <p>Sends a test signal to the alarm receiving centre. It is marked as a test: nobody is sent out.</p>
        {link && (
          <p data-testid="arc-link-status">
            Link {link.status === 'ok' ? 'working' : link.status === 'failed' ? 'PROBLEM' : 'trouble'}: {link.message}
          </p>
        )}
        <button
          type="button"
          class="primary"
          disabled={test.busy}
          onClick={() =>
            test.run(async () => {
              setResult(null);
              setResult(await post<TestResult>('/api/alerts/test', {}));
              await refreshLink();
            })
          }
        >
          {test.busy ? 'Sending…' : 'Send test signal'}
        </button>
        <ErrorText error={test.error} />
        {result && (
          <div data-testid="arc-test-result">
            <Notice>
              {result.ok
                ? `Test signal ${result.acknowledged ? 'received and acknowledged' : 'sent'} by ${result.channel}: ${result.detail}`
                : `Test signal to ${result.channel} ${result.outcome ? OUTCOME_TEXT[result.outcome] : 'failed'}. (${result.detail})`}
            </Notice>
          </div>
        )}
      </section>
    </>
  );
}
