// What a handler returns: a status, an optional JSON body and extra headers.
// Handlers never write to the socket themselves, so the pipeline can record
// the answer, check it against swagger, or replace it with a fault after the
// change was committed.
import type { CoderResponse, ValidationError } from '../coder/types.ts';

export interface SimResponse {
  status: number;
  /** undefined: no body (204, 304). A string is sent as text/plain. */
  body?: unknown;
  headers?: Record<string, string>;
}

const NOT_FOUND_MESSAGE = 'Resource not found or you do not have access to this resource';
const FORBIDDEN_DETAIL =
  "You don't have permission to view this content. If you believe this is a mistake, " +
  'please contact your administrator or try signing in with different credentials.';

export function json(status: number, body: unknown): SimResponse {
  return { status, body };
}

export function noContent(): SimResponse {
  return { status: 204 };
}

export function errorResponse(
  status: number,
  message: string,
  extra: { detail?: string; validations?: ValidationError[] } = {},
): SimResponse {
  // Go omits empty detail and validations (omitempty).
  const body: CoderResponse = { message };
  if (extra.detail) body.detail = extra.detail;
  if (extra.validations && extra.validations.length > 0) body.validations = extra.validations;
  return { status, body };
}

export function notFound(): SimResponse {
  return errorResponse(404, NOT_FOUND_MESSAGE);
}

export function forbidden(): SimResponse {
  return errorResponse(403, 'Forbidden.', { detail: FORBIDDEN_DETAIL });
}

/**
 * A template_version_preset_id no version has: coderd looks up its values
 * (none), then the build insert fails on the preset's foreign key.
 */
export function unknownPreset(): SimResponse {
  return errorResponse(500, 'Internal error inserting workspace build.', {
    detail: 'insert workspace build: violates foreign key constraint "workspace_builds_template_version_preset_id_fkey"',
  });
}

export function routeNotFound(): SimResponse {
  return errorResponse(404, 'Route not found.');
}

export function invalidUuid(raw: string): SimResponse {
  return errorResponse(400, `Invalid UUID ${JSON.stringify(raw)}.`, {
    detail: raw.length === 36 ? 'invalid UUID format' : `invalid UUID length: ${raw.length}`,
  });
}

/** 400 "Validation failed." with one entry per failing struct tag (httpapi.Read). */
export function validationFailed(failures: { field: string; tag: string; value: string }[]): SimResponse {
  return errorResponse(400, 'Validation failed.', {
    validations: failures.map((f) => ({
      field: f.field,
      detail: `Validation failed for tag ${JSON.stringify(f.tag)} with value: ${JSON.stringify(f.value)}`,
    })),
  });
}

/** 400 for a query parameter that does not parse (coderd/httpapi/queryparams.go). */
export function invalidQueryParams(validations: ValidationError[]): SimResponse {
  return errorResponse(400, 'Query parameters have invalid values.', { validations });
}

/**
 * JSON the way Go's encoder writes it: HTML characters escaped, and a
 * trailing newline (json.Encoder).
 */
export function encodeGoJson(body: unknown): string {
  return `${JSON.stringify(body)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')}\n`;
}
