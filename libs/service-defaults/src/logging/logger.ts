import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { traceLogFields } from './trace-log-fields';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Keys whose values never reach a log line, wherever they appear. */
const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'paymentToken',
  '*.paymentToken',
  '*.*.paymentToken',
  'cookie',
  '*.cookie',
  'req.headers.cookie',
  'secret',
  '*.secret',
  'accessToken',
  '*.accessToken',
];

let root: Logger | undefined;

/**
 * The process-wide pino logger: JSON lines by default, human-readable when stdout is a terminal
 * (or LOG_PRETTY=1). Every line carries the active trace_id/span_id (and order_id where known).
 */
export function createRootLogger(service: string, level: LogLevel): Logger {
  const pretty = process.env.LOG_PRETTY === '1' || (process.stdout.isTTY && process.env.LOG_PRETTY !== '0');
  root = pino({
    name: service,
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => mixins.reduce((fields, mixin) => Object.assign(fields, mixin()), {}),
    transport: pretty
      ? { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } }
      : undefined,
  });
  return root;
}

const mixins: Array<() => Record<string, unknown>> = [traceLogFields];

/** Adds fields to every log line, e.g. the active trace and span ids. */
export function addLogMixin(mixin: () => Record<string, unknown>): void {
  mixins.push(mixin);
}

export function rootLogger(): Logger {
  if (!root) root = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  return root;
}

/** Nest's LoggerService on top of pino, so framework and app logs share one format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    rest: unknown[],
  ) {
    // Nest passes (message, context) or (message, stack, context) for errors.
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (message instanceof Error) {
      this.logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.logger[level]({ ...fields, ...(message as object) });
    } else {
      if (typeof rest[0] === 'string' && level === 'error') fields.stack = rest[0];
      this.logger[level](fields, String(message));
    }
  }
}
