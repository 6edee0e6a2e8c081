/** A pino destination that keeps log lines in memory so tests can assert on them. */
import { Writable } from 'node:stream';
import type { Logger } from '../../hub/api/plugin.js';
import { createLogger } from '../../hub/log/logger.js';

export interface CapturedLog {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class LogCapture {
  readonly lines: CapturedLog[] = [];
  readonly raw: string[] = [];
  readonly logger: Logger;

  constructor(level = process.env.TEST_LOG_LEVEL ?? 'debug') {
    const stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        for (const line of chunk.toString().split('\n')) {
          if (!line.trim()) continue;
          this.raw.push(line);
          try {
            this.lines.push(JSON.parse(line) as CapturedLog);
          } catch {
            this.lines.push({ level: 30, msg: line });
          }
          if (process.env.TEST_LOG_ECHO) process.stderr.write(`${line}\n`);
        }
        cb();
      },
    });
    this.logger = createLogger({ level, destination: stream });
  }

  /** Every captured line as text, for "no secret appears anywhere" checks. */
  text(): string {
    return this.raw.join('\n');
  }

  find(pred: (l: CapturedLog) => boolean): CapturedLog | undefined {
    return this.lines.find(pred);
  }

  errors(): CapturedLog[] {
    return this.lines.filter((l) => l.level >= 50);
  }
}
