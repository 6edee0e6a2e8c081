/** Every owner page that is not in the bottom navigation, as big rows a thumb can hit. */

import { PAGES } from '../../pages.js';
import { navigate } from '../../router.js';

const WHAT: Record<string, string> = {
  '/requests': 'Answer requests for your footage',
  '/incident-logs': 'Records to take to court or share with your advocate',
  '/consent': 'Choose who is told what, and when',
  '/settings': 'Alarm PINs, discreet mode, who else may use the hub',
  '/security': 'Password, signed-in devices, the hub certificate',
};

export function MorePage() {
  const rest = PAGES.owner.filter((p) => !p.bottom);
  return (
    <>
      <h1 tabIndex={-1}>More</h1>
      <ul class="more-list" data-testid="more-pages">
        {rest.map((p) => (
          <li key={p.path}>
            <a
              href={p.path}
              onClick={(e) => {
                e.preventDefault();
                navigate(p.path);
              }}
            >
              <span class="row-title">{p.label}</span>
              {WHAT[p.path] && <span class="muted">{WHAT[p.path]}</span>}
            </a>
          </li>
        ))}
      </ul>
    </>
  );
}
