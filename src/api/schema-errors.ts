// ajv's errors in words for people who write YAML: the field's path, then
// what is wrong with it, instead of JSON pointers and keyword names.
import type { ErrorObject } from 'ajv';
import { formatPath, pointerSegments, type FieldError } from './field-error.ts';
import { DNS_LABEL_PATTERN, DURATION_PATTERN, K8S_NAME_PATTERN, WORKSPACE_NAME_PATTERN } from './schema.ts';
import { URL_PATTERN, UUID_PATTERN } from './patterns.ts';

// Patterns get an explanation; any other pattern is quoted as is.
const PATTERN_WORDS: Record<string, string> = {
  [DURATION_PATTERN]: 'must be a duration such as 8h, 90m, 1h30m or 0s (numbers with units h, m, s, ms, us, ns)',
  [WORKSPACE_NAME_PATTERN]: 'must be letters and digits, with single hyphens only between them',
  [K8S_NAME_PATTERN]: "must be a lowercase DNS name: a-z, 0-9, '-' and '.', starting and ending with a letter or digit",
  [DNS_LABEL_PATTERN]: "must be a lowercase DNS label: a-z, 0-9 and '-', starting and ending with a letter or digit",
  [UUID_PATTERN]: 'must be a UUID such as 0b5a9f1c-4a5e-4f3b-9c8d-2e7f6a1b3c4d',
  [URL_PATTERN]: 'must be an http:// or https:// URL',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  object: 'an object (a mapping)',
  array: 'a list',
  null: 'null',
};

export function fieldErrors(errors: readonly ErrorObject[], data: unknown): FieldError[] {
  return errors.map((e) => fieldError(e, data));
}

function fieldError(e: ErrorObject, data: unknown): FieldError {
  const at = pointerSegments(e.instancePath, data);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const field = String(p['additionalProperty']);
      const known = Object.keys((e.parentSchema?.['properties'] as object | undefined) ?? {});
      const guess = closest(field, known);
      const hint = guess === undefined ? '' : ` (did you mean "${guess}"?)`;
      return { path: formatPath([...at, field]), message: `unknown field "${field}"${hint}` };
    }
    case 'required':
      return { path: formatPath([...at, String(p['missingProperty'])]), message: 'is required' };
    case 'type':
      return { path: formatPath(at), message: `must be ${typeWords(p['type'])}` };
    case 'enum':
      return { path: formatPath(at), message: `must be one of ${quoteAll(p['allowedValues'])}` };
    case 'const':
      return { path: formatPath(at), message: `must be ${JSON.stringify(p['allowedValue'])}` };
    case 'pattern': {
      const pattern = String(p['pattern']);
      return { path: formatPath(at), message: PATTERN_WORDS[pattern] ?? `must match the pattern ${pattern}` };
    }
    case 'minLength':
      return {
        path: formatPath(at),
        message: p['limit'] === 1 ? 'must not be empty' : `must be at least ${String(p['limit'])} characters`,
      };
    case 'maxLength':
      return { path: formatPath(at), message: `must be at most ${String(p['limit'])} characters` };
    case 'minItems':
      return { path: formatPath(at), message: p['limit'] === 1 ? 'must not be empty' : `must have at least ${String(p['limit'])} items` };
    case 'maxItems':
      return { path: formatPath(at), message: `must have at most ${String(p['limit'])} items` };
    case 'format':
      return {
        path: formatPath(at),
        message:
          p['format'] === 'date-time'
            ? 'must be an RFC 3339 date-time such as 2026-01-02T15:04:05Z'
            : `must be a valid ${String(p['format'])}`,
      };
    default:
      return { path: formatPath(at), message: e.message ?? `fails ${e.keyword}` };
  }
}

function typeWords(type: unknown): string {
  const types = String(type).split(',');
  return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

function quoteAll(values: unknown): string {
  return (Array.isArray(values) ? values : []).map((v) => JSON.stringify(v)).join(', ');
}

// A known field close enough to be the one meant: same letters in another
// case, or at most two edits away on a name of four letters or more.
function closest(field: string, known: readonly string[]): string | undefined {
  const lower = field.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === lower ? 0 : editDistance(lower, name.toLowerCase());
    if (distance <= (field.length >= 4 ? 2 : 0) && (best === undefined || distance < best.distance)) {
      best = { name, distance };
    }
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
