// TypeBox schemas as plain JSON Schema, the common starting point of the ajv
// validator and the CRDs. TypeBox marks its objects with Symbol keys, which a
// JSON round trip drops, and spells a union of string literals as
// anyOf[{const}], which both ajv (one error per branch) and Kubernetes
// (structural schemas forbid type-less anyOf) read better as an enum.
import type { TSchema } from '@sinclair/typebox';

export type JsonSchema = { [key: string]: unknown };

export function plainSchema(schema: TSchema): JsonSchema {
  return rewrite(JSON.parse(JSON.stringify(schema)) as unknown) as JsonSchema;
}

function rewrite(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewrite);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) out[key] = rewrite(value);
  const values = literalStrings(out['anyOf']);
  if (values !== undefined) {
    delete out['anyOf'];
    return { type: 'string', enum: values, ...out };
  }
  return out;
}

// ["a", "b"] when every branch is a string const, else undefined.
function literalStrings(branches: unknown): string[] | undefined {
  if (!Array.isArray(branches) || branches.length === 0) return undefined;
  const values: string[] = [];
  for (const branch of branches as JsonSchema[]) {
    if (typeof branch['const'] !== 'string') return undefined;
    values.push(branch['const']);
  }
  return values;
}
