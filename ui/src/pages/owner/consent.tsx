/**
 * What police are told, in plain words. Each choice comes from the hub with its own description
 * ("If you press panic, we will tell the police at once and send your address"), and every
 * change is kept in a history the victim can read.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf, put } from '../../api.js';
import { ErrorText, formatTime, Notice, useAction } from '../../components/form.js';

export interface ConsentItem {
  key: string;
  title: string;
  description: string;
  value: string | boolean;
  options?: Array<{ value: string; label: string; description?: string }>;
}

interface ConsentAnswer {
  version: number;
  items: ConsentItem[];
}

interface HistoryRow {
  version: number;
  changedAt: number;
  changedBy?: string;
  summary?: string;
  changes?: string[];
}

export function ConsentPage() {
  const [consent, setConsent] = useState<ConsentAnswer | null>(null);
  const [draft, setDraft] = useState<Record<string, string | boolean>>({});
  const [history, setHistory] = useState<HistoryRow[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const load = useCallback(() => {
    get<ConsentAnswer>('/api/consent').then(
      (c) => {
        setConsent(c);
        setDraft(Object.fromEntries(c.items.map((i) => [i.key, i.value])));
      },
      (err: unknown) => setLoadError(messageOf(err)),
    );
    get<{ history: HistoryRow[] }>('/api/consent/history').then(
      (h) => setHistory(h.history),
      (err: unknown) => setLoadError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);
  return (
    <>
      <h1 tabIndex={-1}>What police are told</h1>
      <p>Nothing leaves your home unless you allow it here. You can change your mind at any time.</p>
      <ErrorText error={loadError} />
      {consent && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              await put('/api/consent', draft);
              setSaved(true);
              load();
            });
          }}
        >
          {consent.items.map((item) => (
            <fieldset key={item.key} class="card consent">
              <legend>{item.title}</legend>
              {item.options ? (
                item.options.map((o) => (
                  <div class="check" key={o.value}>
                    <input
                      type="radio"
                      id={`c-${item.key}-${o.value}`}
                      name={item.key}
                      checked={draft[item.key] === o.value}
                      onChange={() => setDraft({ ...draft, [item.key]: o.value })}
                    />
                    <label for={`c-${item.key}-${o.value}`}>
                      {o.label}
                      {o.description && <span class="hint"> {o.description}</span>}
                    </label>
                  </div>
                ))
              ) : (
                <div class="check">
                  <input
                    type="checkbox"
                    id={`c-${item.key}`}
                    checked={draft[item.key] === true}
                    onChange={(e) => setDraft({ ...draft, [item.key]: e.currentTarget.checked })}
                  />
                  <label for={`c-${item.key}`}>Yes</label>
                </div>
              )}
              <p class="plain-words">{item.description}</p>
            </fieldset>
          ))}
          <ErrorText error={error} />
          {saved && <Notice>Saved. This change is in the history below.</Notice>}
          <button type="submit" class="primary" disabled={busy}>
            Save my choices
          </button>
        </form>
      )}
      <section class="card" aria-labelledby="hist-h">
        <h2 id="hist-h">History of your choices</h2>
        {history.length === 0 && <p class="muted">No changes yet.</p>}
        <ol class="rows" data-testid="consent-history">
          {history.map((h) => (
            <li key={h.version}>
              <span class="row-title">
                Version {h.version} · {formatTime(h.changedAt)}
              </span>
              <span>{h.summary ?? h.changes?.join('; ') ?? ''}</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
