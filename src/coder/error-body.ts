// Turns the body of a non-2xx answer into a codersdk.Response, keeping only
// what is shaped like one. The operator sends requests to URLs that tenants
// write in a CoderConnection, and what comes back lands in statuses and
// Events, which other people read: a server that is not Coder (an internal
// host, a proxy's HTML page) must not be able to put its content there. So:
//   - Coder's JSON {message, detail?, validations?} is kept, each text
//     bounded, stripped of control characters and of anything token-like;
//   - anything else becomes our own sentence naming the host and the status,
//     and quotes nothing of the body.
import { isUuid } from '../api/patterns.ts';
import { scrub } from '../observability/logger.ts';
import type { CoderResponse, ValidationError } from './types.ts';

/** Longest message or detail kept from an answer. */
const MAX_MESSAGE_CHARS = 200;
const MAX_FIELD_CHARS = 64;
const MAX_VALIDATIONS = 10;

export function toCoderResponse(status: number, body: string, host: string): CoderResponse {
  const parsed = parseJson(body);
  if (isRecord(parsed) && typeof parsed.message === 'string' && cleanText(parsed.message) !== '') {
    const response: CoderResponse = { message: cleanText(parsed.message) };
    const detail = typeof parsed.detail === 'string' ? cleanText(parsed.detail) : '';
    if (detail !== '') response.detail = detail;
    const validations = Array.isArray(parsed.validations) ? parsed.validations.filter(isValidation).slice(0, MAX_VALIDATIONS) : [];
    if (validations.length > 0)
      response.validations = validations.map((v) => ({ field: cleanText(v.field, MAX_FIELD_CHARS), detail: cleanText(v.detail) }));
    return response;
  }
  // Coder's rate-limit middleware refuses a bypass by a non-Owner in plain text.
  if (status === 428)
    return {
      message: `server at ${host} refused X-Coder-Bypass-Ratelimit (HTTP 428): only a site Owner's token may bypass the rate limit`,
    };
  if (body.trim() === '') return { message: `server at ${host} answered HTTP ${status} with an empty body` };
  return { message: `server at ${host} did not answer like a Coder API (HTTP ${status})` };
}

/** A redirect: where to, as origin and path only (a query may carry anything). */
export function redirectResponse(status: number, location: string | null, baseUrl: string): CoderResponse {
  const response: CoderResponse = {
    message: `Coder answered with a redirect (${status}); set the connection URL to the address Coder serves the API on.`,
  };
  if (location) {
    try {
      const to = new URL(location, baseUrl);
      response.detail = cleanText(`Location: ${to.origin}${to.pathname}`);
    } catch {
      // Not a URL: say nothing of it.
    }
  }
  return response;
}

// C0 and C1 controls, DEL, and the bidirectional overrides that can make a
// status line read differently from what it says.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// A long run without spaces that mixes letters and digits: a Coder API key is
// 10 + 1 + 22 characters, JWTs and other keys are longer. Workspace and user
// names are at most 32 characters, so they survive; UUIDs are kept on purpose.
const TOKEN_LIKE = /[A-Za-z0-9_\-+=.~]{32,}/g;

/** One line, no control characters, no token-like runs, at most `max` characters. */
function cleanText(text: string, max = MAX_MESSAGE_CHARS): string {
  let out = scrub(text.slice(0, max * 4))
    .replace(CONTROL, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  out = out.replace(TOKEN_LIKE, (run) => (isUuid(run) || !/[0-9]/.test(run) || !/[A-Za-z]/.test(run) ? run : '[REDACTED]'));
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidation(value: unknown): value is ValidationError {
  return isRecord(value) && typeof value.field === 'string' && typeof value.detail === 'string';
}
