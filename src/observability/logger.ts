// pino JSON logs that never carry a token. Two layers: known token-bearing
// fields are redacted by path, and every token the process holds is
// registered here and scrubbed from any string that reaches a log line, so a
// token that slips into an error message is still caught.
import { pino, type Logger, type LoggerOptions } from 'pino';
import { PinoPretty } from 'pino-pretty';

/** json: one JSON object per line (machines, the operator); pretty: pino-pretty's lines for people at a terminal. */
export type LogFormat = 'json' | 'pretty';

const REDACTED = '[REDACTED]';
const secrets = new Set<string>();

/** Call for every token the process reads or mints, as soon as it has it. */
export function registerSecret(secret: string): void {
  if (secret.length >= 8) secrets.add(secret);
}

export function forgetSecret(secret: string): void {
  secrets.delete(secret);
}

/** Replaces every registered secret in a string. */
export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { type: value.name, message: scrub(value.message), stack: value.stack ? scrub(value.stack) : undefined };
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out;
}

const REDACT_PATHS = [
  'token',
  '*.token',
  'sessionToken',
  '*.sessionToken',
  'key',
  '*.key',
  'headers["coder-session-token"]',
  'headers.authorization',
  '*.headers["coder-session-token"]',
  '*.headers.authorization',
];

export function createLogger(
  opts: { level?: string; destination?: NodeJS.WritableStream; name?: string; format?: LogFormat; colors?: boolean } = {},
): Logger {
  const options: LoggerOptions = {
    name: opts.name ?? 'coder-workspace-operator',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    formatters: { log: (obj) => scrubDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  if (opts.format === 'pretty') {
    // In-process and synchronous (no worker thread): a CLI's last lines before exit must not be lost.
    const pretty = PinoPretty({
      destination: opts.destination ?? process.stderr,
      sync: true,
      colorize: opts.colors ?? false,
      ignore: 'pid,hostname,name',
      translateTime: 'SYS:HH:MM:ss',
      singleLine: true,
    });
    return pino(options, pretty);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
