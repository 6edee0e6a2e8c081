/**
 * Errors the plugin raises on purpose. Each carries a stable code so a Homebridge log line can be
 * matched to the README's troubleshooting notes. The plugin never imports hub code, so these are
 * its own classes rather than the hub's HubError.
 */
export type PluginErrorCode =
  /** The platform block in config.json is missing a field or has a wrong one. */
  | 'SANCTUARY_HB_CONFIG'
  /** The hub did not answer (down, wrong address, network). */
  | 'SANCTUARY_HB_UNREACHABLE'
  /** The hub refused the token (revoked or mistyped). */
  | 'SANCTUARY_HB_UNAUTHENTICATED'
  /** The token lacks the scope the call needs. */
  | 'SANCTUARY_HB_FORBIDDEN'
  /** The hub answered with an error status. */
  | 'SANCTUARY_HB_HTTP'
  /** The hub answered with a body the plugin does not understand (version mismatch). */
  | 'SANCTUARY_HB_BAD_RESPONSE';

export class SanctuaryPluginError extends Error {
  readonly code: PluginErrorCode;
  /** HTTP status when the hub answered. */
  readonly status: number | null;

  constructor(code: PluginErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SanctuaryPluginError';
    this.code = code;
    this.status = options.status ?? null;
  }
}

/** One line for the Homebridge log, with the code when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof SanctuaryPluginError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
