import { type Logger, pino } from 'pino';

export type { Logger };

/** Structured JSON logs; `LOG_LEVEL` overrides the level (tests default to silent). */
export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const level = process.env.LOG_LEVEL ?? opts.level ?? 'info';
  if (opts.pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } });
  }
  return pino({ level });
}

export const silentLogger: Logger = pino({ level: 'silent' });
