/** The alarm receiving centre (ARC) link: its settings as the hub holds them, and "send test signal". */
import { useState } from 'preact/hooks';
import { post } from '../../api.js';
import { ErrorText, Notice, useAction } from '../../components/form.js';

interface TestResult {
  results?: Array<{ channel: string; ok: boolean; detail: string; acknowledged?: boolean }>;
  ok?: boolean;
  detail?: string;
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
            {result.results ? (
              <ul class="rows">
                {result.results.map((r) => (
                  <li key={r.channel}>
                    <span class="row-title">{r.channel}</span>
                    <span class={`status ${r.ok ? 'ok' : 'warn'}`}>
                      {r.ok ? (r.acknowledged ? 'received and acknowledged' : 'sent') : 'failed'}: {r.detail}
                    </span>
                  </li>
                ))}
              </ul>
            ) : (
              <Notice>{result.ok ? `Test signal sent: ${result.detail ?? ''}` : `Test failed: ${result.detail ?? ''}`}</Notice>
            )}
          </div>
        )}
      </section>
    </>
  );
}
