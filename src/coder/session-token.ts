// A session token as it is read, whatever it is read from (a file, an
// environment variable, a Secret): surrounding white space is not part of it
// (files and Secrets made with `echo` end in a newline), and it is registered
// for scrubbing before anything can quote it.
import { registerSecret } from '../observability/logger.ts';

/** The token, or undefined when there is none (absent, or only white space). */
export function acceptToken(raw: string | undefined): string | undefined {
  const token = raw?.trim();
  if (!token) return undefined;
  registerSecret(token);
  return token;
}
