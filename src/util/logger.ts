// The process logger: pino, JSON lines on stderr (pretty enough for a terminal, cheap when a level is off).
// Hot paths never format a message for a disabled level: guard with logger.isLevelEnabled('debug').
import { pino, type Logger } from 'pino';

export type { Logger };

/** pino's levels; options.ts re-exports this (a util never imports the top-level options). */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { app: 'warren' } }, pino.destination(2));
}
