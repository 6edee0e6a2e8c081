/**
 * The alarm receiving centre (ARC) account and "send test signal". The installer enters the
 * account the ARC gave them; the hub validates it, restarts only the ARC link with it, and keeps
 * it across restarts. The AES key is never shown back (the hub answers with a mask).
 */
import { useEffect, useState } from 'preact/hooks';
import { get, post, put } from '../../api.js';
import { Check, ErrorText, Field, Notice, Select, useAction } from '../../components/form.js';

interface TestResult {
  channel: string;
  police: boolean;
  ok: boolean;
  acknowledged?: boolean;
  detail: string;
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
  format: 'SIA-DCS' | 'ADM-CID';
  linkTestSeconds: number;
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
  format: 'SIA-DCS' | 'ADM-CID';
  linkTestSeconds: string;
}

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
    format: s.format,
    linkTestSeconds: String(s.linkTestSeconds),
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
    format: f.format,
    linkTestSeconds: Number(f.linkTestSeconds),
  };
}

export function ArcSettings() {
  const [form, setForm] = useState<Form | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [result, setResult] = useState<TestResult | null>(null);
  const load = useAction();
  const save = useAction();
  const test = useAction();

  useEffect(() => {
    load.run(async () => {
      const r = await get<{ settings: ArcSettingsBody }>('/api/plugins/sia-dc09/settings');
      setForm(toForm(r.settings));
    });
  }, []);

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
            <Field
              label="Encryption key"
              value={form.key}
              onValue={set('key')}
              type="password"
              autoComplete="off"
              hint="AES key as 32, 48 or 64 hex digits, from the alarm centre. Without it alerts travel unencrypted. A saved key shows as ********."
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
        <button
          type="button"
          class="primary"
          disabled={test.busy}
          onClick={() =>
            test.run(async () => {
              setResult(null);
              setResult(await post<TestResult>('/api/alerts/test', {}));
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
                : `Test signal to ${result.channel} failed: ${result.detail}`}
            </Notice>
          </div>
        )}
      </section>
    </>
  );
}
