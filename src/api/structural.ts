// Our JSON schemas in the "structural" form apiextensions.k8s.io/v1 demands:
// every node typed, no anyOf without types, additionalProperties only as a
// map's value schema. Unknown fields are not errors there: the apiserver
// prunes them, so `additionalProperties: false` is dropped (ajv still uses it
// for files). Kubernetes owns metadata, so that is reduced to `type: object`.
import type { TSchema } from '@sinclair/typebox';
import { plainSchema, type JsonSchema } from './plain-schema.ts';

// Formats the apiserver knows (k8s.io/kube-openapi, validate/strfmt); others
// would be rejected or ignored, so they are left out.
const K8S_FORMATS = new Set([
  'bsonobjectid',
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uuid3',
  'uuid4',
  'uuid5',
  'isbn',
  'isbn10',
  'isbn13',
  'creditcard',
  'ssn',
  'hexcolor',
  'rgbcolor',
  'byte',
  'password',
  'date',
  'duration',
  'datetime',
  'date-time',
]);

// Key order in the output, so the generated YAML reads top-down; keys not
// listed follow in their original order.
const KEY_ORDER = [
  'description',
  'type',
  'format',
  'enum',
  'default',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'items',
  'properties',
  'additionalProperties',
  'required',
];

/** A resource's schema as a CRD's openAPIV3Schema. */
export function structuralSchema(resource: TSchema): JsonSchema {
  const root = convert(plainSchema(resource));
  const properties = { ...(root['properties'] as Record<string, JsonSchema>) };
  // The apiserver fills and checks these three itself.
  properties['apiVersion'] = { type: 'string' };
  properties['kind'] = { type: 'string' };
  properties['metadata'] = { type: 'object' };
  const required = ((root['required'] as string[] | undefined) ?? []).filter((r) => !['apiVersion', 'kind', 'metadata'].includes(r));
  const out: JsonSchema = { ...root, properties };
  if (required.length > 0) out['required'] = required;
  else delete out['required'];
  return out;
}

function convert(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const key of Object.keys(node)) {
    const value = node[key];
    switch (key) {
      case '$id':
      case '$schema':
        break;
      case 'additionalProperties':
        if (value === true) out['x-kubernetes-preserve-unknown-fields'] = true;
        else if (value !== false) out[key] = convert(value as JsonSchema);
        break;
      case 'patternProperties': {
        // Type.Record(String, X): any key, values X.
        const [values] = Object.values(value as Record<string, JsonSchema>);
        if (values !== undefined) out['additionalProperties'] = convert(values);
        break;
      }
      case 'properties':
        out[key] = Object.fromEntries(
          Object.entries(value as Record<string, JsonSchema>).map(([name, child]) => [name, property(name, child)]),
        );
        break;
      case 'items':
        out[key] = convert(value as JsonSchema);
        break;
      case 'format':
        if (K8S_FORMATS.has(String(value))) out[key] = value;
        break;
      case 'const':
        out['enum'] = [value];
        break;
      default:
        out[key] = value;
    }
  }
  return reorder(out);
}

function property(name: string, schema: JsonSchema): JsonSchema {
  const out = convert(schema);
  // Conditions are a map keyed by type (Kubernetes API conventions), so
  // server-side apply merges one condition instead of replacing the list.
  if (name === 'conditions' && out['type'] === 'array') {
    out['x-kubernetes-list-type'] = 'map';
    out['x-kubernetes-list-map-keys'] = ['type'];
  }
  return out;
}

function reorder(node: JsonSchema): JsonSchema {
  const keys = Object.keys(node);
  const rank = (k: string) => {
    const i = KEY_ORDER.indexOf(k);
    return i === -1 ? KEY_ORDER.length : i;
  };
  const sorted = [...keys].sort((a, b) => rank(a) - rank(b) || keys.indexOf(a) - keys.indexOf(b));
  return Object.fromEntries(sorted.map((k) => [k, node[k]]));
}
