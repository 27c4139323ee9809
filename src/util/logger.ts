// The process logger: pino, JSON lines on stderr (pretty enough for a terminal, cheap when a level is off).
// Hot paths never format a message for a disabled level: guard with logger.isLevelEnabled('debug').
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../options.js';

export type { Logger };

export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { app: 'warren' } }, pino.destination(2));
}
