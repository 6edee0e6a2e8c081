/**
 * Error classes shared by the hub, plugins, detectors and the UI's type imports.
 * Every error the hub raises on purpose carries a stable `code` (documented in README) so logs,
 * API responses and tests can name it without matching message text.
 */

export type HubErrorCode =
  | 'HUB_ERR_CONFIG_INVALID'
  | 'HUB_ERR_CONFIG_UNREADABLE'
  | 'HUB_ERR_CONFIG_MIGRATION'
  | 'HUB_ERR_DATABASE'
  | 'HUB_ERR_MIGRATION'
  | 'HUB_ERR_BROKER'
  | 'HUB_ERR_PLUGIN_START'
  | 'HUB_ERR_PLUGIN_STOP'
  | 'HUB_ERR_PLUGIN_TIMEOUT'
  | 'HUB_ERR_VALIDATION'
  | 'HUB_ERR_UNAUTHENTICATED'
  | 'HUB_ERR_FORBIDDEN'
  | 'HUB_ERR_CSRF'
  | 'HUB_ERR_RATE_LIMITED'
  | 'HUB_ERR_NOT_FOUND'
  | 'HUB_ERR_CONFLICT'
  | 'HUB_ERR_SETUP_CODE'
  | 'HUB_ERR_BAD_CREDENTIALS'
  | 'HUB_ERR_BAD_PIN'
  | 'HUB_ERR_FFMPEG_MISSING'
  | 'HUB_ERR_CAMERA_UNREACHABLE'
  | 'HUB_ERR_CAMERA_AUTH'
  | 'HUB_ERR_CAMERA_NOT_VIDEO'
  | 'HUB_ERR_CAMERA'
  | 'HUB_ERR_CLIP'
  | 'HUB_ERR_DISK_FULL'
  | 'HUB_ERR_DETECTOR'
  | 'HUB_ERR_BAD_FRAME'
  | 'HUB_ERR_SENSOR_PAYLOAD'
  | 'HUB_ERR_ALARM_STATE'
  | 'HUB_ERR_CONSENT'
  | 'HUB_ERR_ALERT_DELIVERY'
  | 'HUB_ERR_DC09'
  | 'HUB_ERR_DC09_KEY'
  | 'HUB_ERR_AUDIT_CHAIN'
  | 'HUB_ERR_EVIDENCE'
  | 'HUB_ERR_VERIFY'
  | 'HUB_ERR_TOKEN_EXPIRED'
  | 'HUB_ERR_BACKUP'
  | 'HUB_ERR_UPDATE'
  | 'HUB_ERR_LOCKED'
  | 'HUB_ERR_INTERNAL';

const HTTP_STATUS: Partial<Record<HubErrorCode, number>> = {
  HUB_ERR_VALIDATION: 400,
  HUB_ERR_CONFIG_INVALID: 400,
  HUB_ERR_SENSOR_PAYLOAD: 400,
  HUB_ERR_UNAUTHENTICATED: 401,
  HUB_ERR_BAD_CREDENTIALS: 401,
  HUB_ERR_SETUP_CODE: 401,
  HUB_ERR_TOKEN_EXPIRED: 410,
  HUB_ERR_BAD_PIN: 403,
  HUB_ERR_FORBIDDEN: 403,
  HUB_ERR_CSRF: 403,
  HUB_ERR_NOT_FOUND: 404,
  HUB_ERR_CONFLICT: 409,
  HUB_ERR_ALARM_STATE: 409,
  HUB_ERR_RATE_LIMITED: 429,
  HUB_ERR_LOCKED: 423,
  HUB_ERR_CAMERA_UNREACHABLE: 502,
  HUB_ERR_CAMERA_AUTH: 502,
  HUB_ERR_CAMERA_NOT_VIDEO: 502,
  HUB_ERR_DISK_FULL: 507,
};

export interface HubErrorOptions {
  cause?: unknown;
  /** Structured detail safe to show a user and to log (never secrets). */
  details?: Record<string, unknown>;
}

export class HubError extends Error {
  readonly code: HubErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: HubErrorCode, message: string, options: HubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }

  /** The HTTP status the API answers with for this error. */
  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }

  toJSON(): {
    code: HubErrorCode;
    message: string;
    details?: Record<string, unknown>;
  } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export class ConfigError extends HubError {
  /** Dotted path of the offending field, e.g. `http.port`. */
  readonly field: string;
  constructor(field: string, problem: string, options: HubErrorOptions = {}) {
    super('HUB_ERR_CONFIG_INVALID', `config: ${field || '(root)'}: ${problem}`, {
      ...options,
      details: { field, problem },
    });
    this.field = field;
  }
}

export class ValidationError extends HubError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('HUB_ERR_VALIDATION', message, details === undefined ? {} : { details });
  }
}

export class NotFoundError extends HubError {
  constructor(what: string) {
    super('HUB_ERR_NOT_FOUND', `${what} not found`);
  }
}

export class ForbiddenError extends HubError {
  constructor(message = 'your account may not do this') {
    super('HUB_ERR_FORBIDDEN', message);
  }
}

export class UnauthenticatedError extends HubError {
  constructor(message = 'sign in first') {
    super('HUB_ERR_UNAUTHENTICATED', message);
  }
}

export class ConflictError extends HubError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('HUB_ERR_CONFLICT', message, details === undefined ? {} : { details });
  }
}

/** Turn anything thrown into a message fit for a log line, keeping the code when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof HubError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}
