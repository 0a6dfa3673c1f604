// Colours on a terminal only, by the conventions: chalk's detection (a TTY,
// FORCE_COLOR, the terminal's depth), and NO_COLOR (no-color.org), which
// chalk itself does not read, turns them off unless FORCE_COLOR asks for them.
import { Chalk, type ChalkInstance, supportsColor, supportsColorStderr } from 'chalk';

function colourLevel(stream: 'stdout' | 'stderr', env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '' && env.FORCE_COLOR === undefined) return 0;
  const support = stream === 'stdout' ? supportsColor : supportsColorStderr;
  return support ? support.level : 0;
}

export function painter(stream: 'stdout' | 'stderr', env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  return new Chalk({ level: colourLevel(stream, env) });
}

/**
 * Colours a rendered plan, apply log or error list by each line's marker,
 * so the renderers stay plain text (what tests, files and -o json see).
 */
export function colourLines(text: string, c: ChalkInstance): string {
  if (c.level === 0) return text;
  return text
    .split('\n')
    .map((line) => {
      const body = line.trimStart();
      if (/^(\+ |✓)/.test(body)) return c.green(line);
      if (/^(- |✗)/.test(body)) return c.red(line);
      if (/^~ /.test(body)) return c.yellow(line);
      if (/^(! |error:)/.test(body)) return c.red.bold(line);
      if (/^(= |warning:)/.test(body)) return c.cyan(line);
      if (/^(Plan:|Apply complete:)/.test(body)) return c.bold(line);
      return line;
    })
    .join('\n');
}
