/**
 * What police are told, in plain words. For each kind of alert the victim chooses: tell the
 * police at once, ask me first, or never; and what goes with it (address, photo, video link).
 * The sentences under each choice come from the hub ("If you press panic, we will tell the police
 * at once and send your address"), and every saved change is kept in a history she can read.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { AlertKind } from '../../../../hub/api/events.js';
import { get, messageOf, put } from '../../api.js';
import { Check, ErrorText, formatTime, Notice, useAction } from '../../components/form.js';
import { WhereItGoes } from './egress.js';
import { SentLinks } from './sent-links.js';

type Mode = 'automatic' | 'ask' | 'never';
type Share = { location: boolean; snapshot: boolean; clipLink: boolean };

interface ConsentView {
  version: number;
  settings: { kinds: Record<AlertKind, Mode>; share: Share };
  changedAt: number;
  kinds: AlertKind[];
  descriptions: { kinds: Record<AlertKind, string>; share: string };
}

const KIND_TITLES: Record<AlertKind, string> = {
  panic: 'When you press panic',
  duress: 'When you use your second (safety) PIN',
  intrusion: 'When a break-in is confirmed',
  tamper: 'When a camera or sensor is tampered with',
  link_loss: 'When the hub loses power or its connection',
  open_close: 'When you set or unset the alarm (opening and closing reports)',
};

const MODES: Array<[Mode, string]> = [
  ['automatic', 'Tell the police at once'],
  ['ask', 'Ask me first'],
  ['never', 'Do not tell the police'],
];

/** Opening/closing reports are routine: they go at once or not at all, and only to the alarm centre. */
const ROUTINE_MODES: Array<[Mode, string]> = [
  ['automatic', 'Tell the alarm centre each time'],
  ['never', 'Do not tell the alarm centre'],
];

function modesFor(k: AlertKind): Array<[Mode, string]> {
  if (k === 'open_close') return ROUTINE_MODES;
  return k === 'duress' ? MODES.filter(([m]) => m !== 'ask') : MODES;
}

const MODE_SHORT: Record<Mode, string> = { automatic: 'at once', ask: 'ask first', never: 'never' };

function summary(v: ConsentView): string {
  const kinds = v.kinds.map((k) => `${KIND_TITLES[k].replace(/^When (you )?/, '')}: ${MODE_SHORT[v.settings.kinds[k]]}`);
  const share = (['location', 'snapshot', 'clipLink'] as const).filter((k) => v.settings.share[k]);
  return `${kinds.join('; ')}. Shared: ${share.length ? share.map((s) => ({ location: 'address', snapshot: 'photo', clipLink: 'video link' })[s]).join(', ') : 'nothing'}.`;
}

export function ConsentPage() {
  const [current, setCurrent] = useState<ConsentView | null>(null);
  const [kinds, setKinds] = useState<Record<AlertKind, Mode> | null>(null);
  const [share, setShare] = useState<Share | null>(null);
  const [history, setHistory] = useState<ConsentView[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useAction();
  const show = (c: ConsentView) => {
    setCurrent(c);
    setKinds({ ...c.settings.kinds });
    setShare({ ...c.settings.share });
  };
  const loadHistory = useCallback(() => {
    get<{ versions: ConsentView[] }>('/api/consent/history').then(
      (h) => setHistory([...h.versions].sort((a, b) => b.version - a.version)),
      (err: unknown) => setLoadError(messageOf(err)),
    );
  }, []);
  useEffect(() => {
    get<ConsentView>('/api/consent').then(show, (err: unknown) => setLoadError(messageOf(err)));
    loadHistory();
  }, [loadHistory]);

  return (
    <>
      <h1 tabIndex={-1}>What police are told</h1>
      <p>Nothing leaves your home unless you allow it here. You can change your mind at any time.</p>
      <WhereItGoes onChange={loadHistory} />
      <SentLinks />
      <h2>What the police may be told</h2>
      <ErrorText error={loadError} />
      {current && kinds && share && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void run(async () => {
              show(await put<ConsentView>('/api/consent', { kinds, share }));
              setSaved(true);
              loadHistory();
            });
          }}
        >
          {current.kinds.map((k) => (
            <fieldset key={k} class="card consent" data-kind={k}>
              <legend>{KIND_TITLES[k]}</legend>
              {modesFor(k).map(([m, label]) => (
                <div class="check" key={m}>
                  <input
                    type="radio"
                    id={`c-${k}-${m}`}
                    name={`consent-${k}`}
                    checked={kinds[k] === m}
                    onChange={() => setKinds({ ...kinds, [k]: m })}
                  />
                  <label for={`c-${k}-${m}`}>{label}</label>
                </div>
              ))}
              <p class="plain-words" data-testid={`consent-words-${k}`}>
                {current.descriptions.kinds[k]}
              </p>
            </fieldset>
          ))}
          <fieldset class="card consent">
            <legend>What goes with an alert</legend>
            <Check label="My address" checked={share.location} onValue={(v) => setShare({ ...share, location: v })} />
            <Check label="A photo from the doorbell" checked={share.snapshot} onValue={(v) => setShare({ ...share, snapshot: v })} />
            <Check label="A link to the video" checked={share.clipLink} onValue={(v) => setShare({ ...share, clipLink: v })} />
            <p class="plain-words">{current.descriptions.share}</p>
          </fieldset>
          <ErrorText error={error} />
          {saved && <Notice>Saved. The words above now describe your choices, and the change is in the history below.</Notice>}
          <button type="submit" class="primary" disabled={busy}>
            Save my choices
          </button>
        </form>
      )}
      <section class="card" aria-labelledby="hist-h">
        <h2 id="hist-h">History of your choices</h2>
        <ol class="rows" data-testid="consent-history">
          {history.map((h) => (
            <li key={h.version}>
              <span class="row-title">
                Version {h.version} · {h.version === 0 || !h.changedAt ? 'the start' : formatTime(h.changedAt)}
              </span>
              <span>{summary(h)}</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
