// The CLI's logger: pretty lines on a terminal, JSON lines otherwise (a CI
// log, a file, a collector), or what --log-format says.
import type { Logger } from 'pino';
import { chalkStderr } from 'chalk';
import { createLogger, type LogFormat } from '../observability/logger.ts';

export type LogFormatFlag = LogFormat | 'auto';

export function cliLogger(flags: { logLevel: string; logFormat?: LogFormatFlag }, stderr: NodeJS.WriteStream = process.stderr): Logger {
  const format: LogFormat =
    flags.logFormat === undefined || flags.logFormat === 'auto' ? (stderr.isTTY ? 'pretty' : 'json') : flags.logFormat;
  // chalk decides colour for stderr: a TTY, NO_COLOR and FORCE_COLOR.
  return createLogger({ level: flags.logLevel, destination: stderr, format, colors: chalkStderr.level > 0 });
}
