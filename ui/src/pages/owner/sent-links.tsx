/**
 * "Links sent with alerts": each verification link the hub sent to the alarm centre with an
 * alert you allowed a photo or video for, when it runs out, how often it was opened, and a button
 * that withdraws it at once. The hub decides which links may be listed here (hub/policy).
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { get, messageOf, post } from '../../api.js';
import { ErrorText, formatTime } from '../../components/form.js';

interface SentLink {
  id: string;
  alertKind: string;
  snapshot: boolean;
  clip: boolean;
  createdAt: number;
  expiresAt: number;
  openings: number;
  lastOpenedAt: number | null;
  state: 'open' | 'expired' | 'revoked';
}

const KIND_WORDS: Record<string, string> = {
  panic: 'help request',
  intrusion: 'break-in alarm',
  tamper: 'tampering alert',
  link_loss: 'hub offline alert',
};

function what(l: SentLink): string {
  const parts = [l.snapshot ? 'the photo' : null, l.clip ? 'the video' : null].filter(Boolean);
  return `${parts.join(' and ')} of the ${KIND_WORDS[l.alertKind] ?? 'alert'} at ${formatTime(l.createdAt)}`;
}

function stateWords(l: SentLink): string {
  if (l.state === 'revoked') return 'Withdrawn: it no longer opens.';
  if (l.state === 'expired') return `Ran out at ${formatTime(l.expiresAt)}.`;
  return `Opens until ${formatTime(l.expiresAt)}.`;
}

export function SentLinks() {
  const [links, setLinks] = useState<SentLink[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    get<{ links: SentLink[] }>('/api/verification-links').then(
      (r) => {
        setLinks(r.links);
        setError(null);
      },
      (err: unknown) => setError(messageOf(err)),
    );
  }, []);
  useEffect(load, [load]);

  const withdraw = (id: string) =>
    post(`/api/verification-links/${encodeURIComponent(id)}/revoke`).then(load, (err: unknown) => setError(messageOf(err)));

  return (
    <section class="card" aria-labelledby="sent-links-h" data-testid="sent-links">
      <h2 id="sent-links-h">Links sent with alerts</h2>
      <p>When you allow a photo or video with an alert, the alarm centre gets a link that opens only that, for a short time.</p>
      <ErrorText error={error} />
      {links && links.length === 0 && <p class="muted">No links have been sent.</p>}
      <ul class="rows">
        {(links ?? []).map((l) => (
          <li key={l.id} data-link={l.id} data-state={l.state}>
            <span class="row-title">Link to {what(l)}</span>
            <span>
              {stateWords(l)} Opened {l.openings === 0 ? 'never' : l.openings === 1 ? 'once' : `${l.openings} times`}
              {l.lastOpenedAt ? `, last at ${formatTime(l.lastOpenedAt)}` : ''}.
            </span>
            {l.state === 'open' && (
              <span class="actions">
                <button type="button" onClick={() => void withdraw(l.id)}>
                  Withdraw this link
                </button>
              </span>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
