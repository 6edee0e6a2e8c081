/**
 * pino loggers. Secrets never reach a log line: known secret keys are redacted by path, and URLs
 * go through `redactUrl` before they are logged (RTSP URLs carry camera passwords).
 */
import { pino } from 'pino';
import type { Logger } from '../api/plugin.js';

const SECRET_KEYS = [
  'password',
  'pin',
  'pins',
  'duressPin',
  'token',
  'secret',
  'key',
  'aesKey',
  'setupCode',
  'authorization',
  'cookie',
  'hmacSecret',
  'passphrase',
];

export interface LoggerOptions {
  level?: string;
  /** A destination stream (tests capture log lines through this). */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const redact = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);
  const opts = {
    level: options.level ?? process.env.SANCTUARY_LOG_LEVEL ?? 'info',
    redact: { paths: redact, censor: '[redacted]' },
  };
  return options.destination ? pino(opts, options.destination as pino.DestinationStream) : pino(opts);
}

/** Remove user info from a URL (rtsp://user:pass@host/ becomes rtsp://***@host/). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/\s]+)@/i, '$1***@');
}

/** Remove any of the given secret strings from free text (ffmpeg stderr can echo a URL back). */
export function redactSecrets(text: string, secrets: Array<string | null | undefined>): string {
  let out = redactUrl(text).replace(/(rtsp|rtsps|http|https):\/\/[^@/\s]+@/gi, '$1://***@');
  for (const s of secrets) {
    if (s && s.length >= 3) out = out.split(s).join('***');
    if (s && s.length >= 3) out = out.split(encodeURIComponent(s)).join('***');
  }
  return out;
}
