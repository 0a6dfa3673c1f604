// Turns the body of a non-2xx answer into a codersdk.Response. Coder always
// sends JSON {message, detail?, validations?}; a few answers are plain text
// (the 428 for a refused rate-limit bypass) and a proxy in front of Coder may
// send HTML, so anything else becomes the message, trimmed and shortened.
import type { CoderResponse, ValidationError } from './types.ts';

const MAX_TEXT = 500;

export function toCoderResponse(status: number, statusText: string, body: string): CoderResponse {
  const parsed = parseJson(body);
  if (isRecord(parsed) && typeof parsed.message === 'string') {
    const response: CoderResponse = { message: parsed.message };
    if (typeof parsed.detail === 'string' && parsed.detail !== '') response.detail = parsed.detail;
    const validations = Array.isArray(parsed.validations) ? parsed.validations.filter(isValidation) : [];
    if (validations.length > 0) response.validations = validations.map((v) => ({ field: v.field, detail: v.detail }));
    return response;
  }
  const text = body.trim();
  if (text === '') return { message: `HTTP ${status}${statusText ? ` ${statusText}` : ''}` };
  return { message: text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text };
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
