// Reading a JSON request body the way coderd's httpapi.Read does: a 4 MiB
// limit, a 400 when it does not decode, and Go's unmarshal errors when a
// field has the wrong JSON type.
import type { IncomingMessage } from 'node:http';
import { errorResponse, type SimResponse } from './responses.ts';
import { isUuid } from '../api/patterns.ts';

const BODY_LIMIT = 4 * 1024 * 1024;

type FieldType = 'string' | 'int64' | 'bool' | 'uuid' | 'array' | 'object';

/** A Go request struct: its name (for error texts) and its fields' JSON types. */
export interface StructSpec {
  name: string;
  fields: Record<string, FieldType>;
}

type ReadResult = { ok: true; raw: string } | { ok: false; tooLarge: true };

export async function readRawBody(req: IncomingMessage): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    // Keep draining after the limit so the client can read our answer.
    if (size > BODY_LIMIT) tooLarge = true;
    else chunks.push(buf);
  }
  if (tooLarge) return { ok: false, tooLarge: true };
  return { ok: true, raw: Buffer.concat(chunks).toString('utf8') };
}

export function bodyTooLarge(): SimResponse {
  return errorResponse(413, 'Request body too large.');
}

/**
 * Decodes the body into a plain object or answers 400 like httpapi.Read.
 * JSON null fields are removed: Go leaves those at their zero value.
 */
export function decodeBody(raw: string, spec: StructSpec): Record<string, unknown> | SimResponse {
  if (raw.trim() === '') return invalidJson('EOF');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return invalidJson(err instanceof Error ? err.message : String(err));
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return invalidJson(`json: cannot unmarshal ${jsonKind(value)} into Go value of type codersdk.${spec.name}`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const type = spec.fields[key];
    if (v === null || type === undefined) {
      if (v !== null) out[key] = v;
      continue;
    }
    const problem = typeProblem(v, type);
    if (problem === 'uuid') {
      return invalidJson(typeof v === 'string' && v.length === 36 ? 'invalid UUID format' : `invalid UUID length: ${String(v).length}`);
    }
    if (problem) {
      return invalidJson(`json: cannot unmarshal ${problem} into Go struct field ${spec.name}.${key} of type ${goType(type)}`);
    }
    out[key] = v;
  }
  return out;
}

function invalidJson(detail: string): SimResponse {
  return errorResponse(400, 'Request body must be valid JSON.', { detail });
}

/** undefined when the value fits; otherwise the Go description of what was found. */
function typeProblem(v: unknown, type: FieldType): string | undefined {
  switch (type) {
    case 'string':
      return typeof v === 'string' ? undefined : jsonKind(v);
    case 'uuid':
      if (typeof v !== 'string') return jsonKind(v);
      return isUuid(v) ? undefined : 'uuid';
    case 'bool':
      return typeof v === 'boolean' ? undefined : jsonKind(v);
    case 'int64':
      if (typeof v !== 'number') return jsonKind(v);
      return Number.isInteger(v) ? undefined : `number ${v}`;
    case 'array':
      return Array.isArray(v) ? undefined : jsonKind(v);
    case 'object':
      return typeof v === 'object' && !Array.isArray(v) ? undefined : jsonKind(v);
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function goType(type: FieldType): string {
  if (type === 'uuid') return 'uuid.UUID';
  if (type === 'array') return '[]';
  if (type === 'object') return 'struct';
  return type;
}

/** Go's strconv.ParseBool, used for boolean query parameters. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}
