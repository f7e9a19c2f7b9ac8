// Logs go to stderr (stdout carries the decision record): human-readable on a TTY, one JSON
// object per line otherwise (kubectl logs, CloudWatch). Callers never pass secrets; fields whose
// names look secret, header values and credentials in URLs are masked anyway (redact.ts).
import { forPeople, redactDeep } from './redact.ts';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export interface Logger {
  log(level: Level, message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(options: { json: boolean; level?: Level; write?: (line: string) => void }): Logger {
  const min = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  return {
    log(level, raw, fields = {}) {
      if (RANK[level] < min) return;
      const message = forPeople(raw);
      const safe = redactDeep(fields) as Record<string, unknown>;
      if (options.json) {
        write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...safe })}\n`);
      } else {
        const extra = Object.entries(safe)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        write(`${level === 'info' ? '' : `${level}: `}${message}${extra ? `  ${extra}` : ''}\n`);
      }
    },
  };
}

export const silentLogger: Logger = { log() {} };

/** The same logger, every line carrying `fields` too (a fleet member's lines name the member). */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return { log: (level, message, own = {}) => logger.log(level, message, { ...fields, ...own }) };
}
