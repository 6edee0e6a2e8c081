/**
 * The platform's config block (config.json `platforms[]`, edited by the Homebridge UI through
 * config.schema.json). Parsed once at start; a wrong value stops the platform with a log line that
 * names the field, rather than running half-configured.
 */
import { SanctuaryPluginError } from './errors.js';

export const PLUGIN_NAME = 'homebridge-sanctuary';
export const PLATFORM_NAME = 'SanctuaryHub';

export interface SanctuaryConfig {
  name: string;
  /** Base URL of the hub, e.g. http://sanctuary.local:8080 (no trailing slash). */
  hubUrl: string;
  /** API token issued by the owner in the hub (never logged). */
  token: string;
  contactSensors: boolean;
  doorbell: boolean;
  personSensor: boolean;
  /** "Person at the door" clears by itself after this long without a `person.left`. */
  personTimeoutSeconds: number;
  /** Full re-read of the hub's state and devices (picks up added and removed devices). */
  pollSeconds: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  requestTimeoutMs: number;
}

type Raw = Record<string, unknown>;

function fail(field: string, why: string): never {
  throw new SanctuaryPluginError('SANCTUARY_HB_CONFIG', `config "${field}" ${why}`);
}

function str(raw: Raw, field: string, fallback?: string): string {
  const v = raw[field];
  if (v === undefined || v === null || v === '') {
    if (fallback !== undefined) return fallback;
    fail(field, 'is required');
  }
  if (typeof v !== 'string') fail(field, 'must be a string');
  return v.trim();
}

function bool(raw: Raw, field: string, fallback: boolean): boolean {
  const v = raw[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(field, 'must be true or false');
  return v;
}

function int(raw: Raw, field: string, fallback: number, min: number, max: number): number {
  const v = raw[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, 'must be a whole number');
  if (v < min || v > max) fail(field, `must be between ${min} and ${max}`);
  return v;
}

export function parseConfig(raw: Raw): SanctuaryConfig {
  const hubUrl = str(raw, 'hubUrl').replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(hubUrl);
  } catch {
    fail('hubUrl', 'is not a valid URL (expected e.g. http://sanctuary.local:8080)');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail('hubUrl', 'must start with http:// or https://');
  if (parsed.username || parsed.password) fail('hubUrl', 'must not contain a user name or password (use "token")');
  const token = str(raw, 'token');
  if (/\s/.test(token)) fail('token', 'must not contain spaces (paste the token exactly as the hub showed it)');
  const reconnectInitialMs = int(raw, 'reconnectInitialMs', 1000, 50, 60_000);
  return {
    name: str(raw, 'name', 'Sanctuary'),
    hubUrl,
    token,
    contactSensors: bool(raw, 'contactSensors', true),
    doorbell: bool(raw, 'doorbell', true),
    personSensor: bool(raw, 'personSensor', true),
    personTimeoutSeconds: int(raw, 'personTimeoutSeconds', 120, 1, 3600),
    pollSeconds: int(raw, 'pollSeconds', 60, 5, 3600),
    reconnectInitialMs,
    reconnectMaxMs: Math.max(reconnectInitialMs, int(raw, 'reconnectMaxMs', 30_000, 100, 600_000)),
    requestTimeoutMs: int(raw, 'requestTimeoutMs', 5000, 500, 60_000),
  };
}
