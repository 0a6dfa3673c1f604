// A session token as it is read, whatever it is read from (a file, an
// environment variable, a Secret): surrounding white space is not part of it
// (files and Secrets made with `echo` end in a newline), and it is registered
// for scrubbing before anything can quote it.
//
// Its form is checked before it is used: a value an HTTP header cannot carry
// (a second line, a tab, a non-ASCII letter) makes fetch throw an error that
// quotes the whole header value, and that error would travel into statuses
// and Events. The check says what is wrong without the value.
import { registerSecret } from '../observability/logger.ts';

/** Coder's tokens are ~33 characters; this only bounds what a header and the scrubber carry. */
const MAX_TOKEN_LENGTH = 4096;

/** The token, or undefined when there is none (absent, or only white space). */
export function acceptToken(raw: string | undefined): string | undefined {
  const token = raw?.trim();
  if (!token) return undefined;
  registerSecret(token);
  // A value of several lines or words is no token, but each part may be one: scrub them too.
  for (const part of token.split(/\s+/)) registerSecret(part);
  return token;
}

/** What makes a (trimmed) token unusable in a Coder-Session-Token header; undefined when it is fine. Never quotes it. */
export function tokenFormProblem(token: string): string | undefined {
  if (/[\r\n]/.test(token)) return 'it spans more than one line (only one token, on one line, may be stored)';
  // Visible ASCII only: what Coder issues, and what every HTTP header carries unchanged.
  if (!/^[\x21-\x7e]*$/.test(token))
    return 'it contains white space, a control character or a non-ASCII character, which a session token never has';
  if (token.length > MAX_TOKEN_LENGTH) return `it is ${token.length} characters long, more than the ${MAX_TOKEN_LENGTH} a token may have`;
  return undefined;
}
