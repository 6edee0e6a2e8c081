/**
 * What police are told, in plain words. For each kind of alert the victim chooses: tell the
 * police straight away, ask me first, or don't tell them; and what goes with it (address, photo,
 * video link). The sentences under each choice come from the hub, which knows what it will really
 * do ("If you hold the help button, the hub tells the police straight away, with what happened,
 * when, and your address"; nothing while the alarm receiving centre is switched off), and every
 * saved change is kept in a history she can read. "Ask me first" is offered for the help button
 * only when it is loud (a silent one cannot put a question on screen), never for the second PIN.
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
  descriptions: { kinds: Record<AlertKind, string>; share: string; reach: string };
  /** The help button sounds the siren: only then can the hub ask first. */
  loudPanic: boolean;
}

/** In the words of the app's own controls: the help button says "Hold for help". */
const KIND_TITLES: Record<AlertKind, string> = {
  panic: 'When you hold the help button',
  duress: 'When you turn the alarm off with your second (safety) PIN',
  intrusion: 'When a break-in is confirmed',
  tamper: 'When a camera stops working, or a camera or sensor is tampered with',
  link_loss: 'When the hub loses power',
  open_close: 'When you turn the alarm on or off',
};

const MODES: Array<[Mode, string]> = [
  ['automatic', 'Tell the police straight away'],
  ['ask', 'Ask me first'],
  ['never', "Don't tell the police"],
];

/** Opening/closing reports are routine: they go at once or not at all, and only to the alarm centre. */
const ROUTINE_MODES: Array<[Mode, string]> = [
  ['automatic', 'Tell the alarm centre each time'],
  ['never', 'Do not tell the alarm centre'],
];

/** What the hub accepts: duress never asks, and a silent help button cannot ask on screen. */
function modesFor(k: AlertKind, loudPanic: boolean): Array<[Mode, string]> {
  if (k === 'open_close') return ROUTINE_MODES;
  return k === 'duress' || (k === 'panic' && !loudPanic) ? MODES.filter(([m]) => m !== 'ask') : MODES;
}

const MODE_SHORT: Record<Mode, string> = { automatic: 'straight away', ask: 'ask first', never: 'not told' };

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
  // A destination switched on or off changes what the words say, not her unsaved choices.
  const onDestination = useCallback(() => {
    loadHistory();
    get<ConsentView>('/api/consent').then(setCurrent, (err: unknown) => setLoadError(messageOf(err)));
  }, [loadHistory]);

  return (
    <>
      <h1 tabIndex={-1}>What police are told</h1>
      <p>Nothing leaves your home unless you allow it here. You can change your mind at any time.</p>
      <WhereItGoes onChange={onDestination} />
      <SentLinks />
      <h2>What the police may be told</h2>
      <ErrorText error={loadError} />
      {current && (
        <p class="plain-words" data-testid="consent-reach">
          {current.descriptions.reach}
        </p>
      )}
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
              {modesFor(k, current.loudPanic).map(([m, label]) => (
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
