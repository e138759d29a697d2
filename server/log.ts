// Structured logs (pino). One root logger; rooms and connections get child loggers.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { app: 'tilecast' } });
}
