/**
 * The alarm receiving centre (ARC) link and "send test signal". The account, receiver and address
 * live in the hub's configuration file (plugins: sia-dc09), which the hub validates at start.
 */
import { useState } from 'preact/hooks';
import { post } from '../../api.js';
import { ErrorText, Notice, useAction } from '../../components/form.js';

interface TestResult {
  channel: string;
  police: boolean;
  ok: boolean;
  acknowledged?: boolean;
  detail: string;
}

export function ArcSettings() {
  const [result, setResult] = useState<TestResult | null>(null);
  const { busy, error, run } = useAction();
  return (
    <>
      <h1 tabIndex={-1}>Alarm receiving centre</h1>
      <section class="card" aria-labelledby="arc-test-h">
        <h2 id="arc-test-h">Test the link</h2>
        <p>Sends a test signal to the alarm receiving centre. It is marked as a test: nobody is sent out.</p>
        <p class="hint">The ARC account number, receiver and address are set in the hub's configuration file (plugins → sia-dc09).</p>
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() =>
            run(async () => {
              setResult(null);
              setResult(await post<TestResult>('/api/alerts/test', {}));
            })
          }
        >
          {busy ? 'Sending…' : 'Send test signal'}
        </button>
        <ErrorText error={error} />
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
