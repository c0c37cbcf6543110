import { type Logger, pino } from 'pino';

/** Default logger of the simulator: silent unless LOG_LEVEL asks otherwise. */
export const silentLogger: Logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });
