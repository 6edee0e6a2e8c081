/** The JSON of `GET /api/egress` ("Where your information goes"), shared by the hub and the UI. */
import type { AlertKind } from './events.js';

export interface EgressShare {
  location: boolean;
  snapshot: boolean;
  clipLink: boolean;
}

export interface EgressDestination {
  /** Channel id (`arc`, `webhook`, `mqtt`), `mqtt-state`, or `token:<id>` for an API token. */
  id: string;
  /**
   * `police`: follows "what police are told"; `channel`: its own kinds; `state`: state topics;
   * `notifications`: Web Push to the owner's own devices; `token`: an API token.
   */
  type: 'police' | 'channel' | 'state' | 'notifications' | 'token';
  /** Where it goes, in words, never with a secret. */
  destination: string;
  /** True when it leaves this machine. */
  offMachine: boolean;
  /** True once the owner switched it on for this very destination. */
  on: boolean;
  /** The owner had switched it on, but it now points somewhere else: off until she agrees again. */
  destinationChanged: boolean;
  /** The alert kinds it may receive. */
  kinds: AlertKind[];
  share: EgressShare;
  /** Silent panics and duress: only a police channel, and only with consent. */
  silentAlerts: 'with your consent' | 'never';
}

export interface EgressView {
  destinations: EgressDestination[];
}
