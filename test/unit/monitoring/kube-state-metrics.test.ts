// The kube-state-metrics custom-resource-state configuration reads fields by
// path; a path our CRDs do not have yields no series, silently. Every path is
// checked here against the CRDs generated from src/api/schema.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '../../..');
const config = parse(readFileSync(join(ROOT, 'helm/coder-workspace-operator/files/kube-state-metrics-crs.yaml'), 'utf8'));

type Schema = { type?: string; properties?: Record<string, Schema>; items?: Schema; 'x-kubernetes-preserve-unknown-fields'?: boolean };
const CRDS: Record<string, string> = {
  Workspace: 'coderops.dev_workspaces.yaml',
  CoderConnection: 'coderops.dev_coderconnections.yaml',
  ClusterCoderConnection: 'coderops.dev_clustercoderconnections.yaml',
};

function crdSchema(kind: string, version: string): Schema {
  const crd = parse(readFileSync(join(ROOT, 'crds', CRDS[kind]!), 'utf8'));
  const v = crd.spec.versions.find((x: { name: string }) => x.name === version);
  if (!v) throw new Error(`${kind} has no version ${version}`);
  return v.schema.openAPIV3Schema;
}

/** The schema at a path; metadata is the apiserver's (name, namespace, labels, generation...), not in the CRD. */
function at(schema: Schema, path: string[], where: string): Schema {
  let s: Schema = schema;
  for (const [i, key] of path.entries()) {
    if (i === 0 && key === 'metadata') return {};
    const next = s.properties?.[key];
    if (!next) throw new Error(`${where}: no field ${path.slice(0, i + 1).join('.')}`);
    s = next;
  }
  return s;
}

type Each = { path?: string[]; labelsFromPath?: Record<string, string[]>; valueFrom?: string[] };
const resources = config.spec.resources as {
  groupVersionKind: { group: string; version: string; kind: string };
  labelsFromPath?: Record<string, string[]>;
  metrics: { name: string; each: { type: string; gauge?: Each; info?: Each } }[];
}[];

describe('kube-state-metrics custom-resource state', () => {
  it('covers Workspaces and both kinds of connection, with distinct metric names', () => {
    expect(resources.map((r) => r.groupVersionKind.kind).sort()).toEqual(['ClusterCoderConnection', 'CoderConnection', 'Workspace']);
    const names = resources.flatMap((r) => r.metrics.map((m) => `${(r as { metricNamePrefix?: string }).metricNamePrefix}_${m.name}`));
    expect(new Set(names).size, 'no two resources export the same series name').toBe(names.length);
  });

  it.each(resources.map((r) => [r.groupVersionKind.kind, r] as const))('every path of %s exists in its CRD', (_kind, r) => {
    expect(r.groupVersionKind.group).toBe('coderops.dev');
    const schema = crdSchema(r.groupVersionKind.kind, r.groupVersionKind.version);
    const kind = r.groupVersionKind.kind;
    for (const [label, path] of Object.entries(r.labelsFromPath ?? {})) at(schema, path, `${kind} label ${label}`);
    for (const m of r.metrics) {
      const each = m.each.gauge ?? m.each.info;
      expect(each, `${kind} ${m.name}: ${m.each.type} has its settings`).toBeDefined();
      const base = each!.path ?? [];
      let element = at(schema, base, `${kind} ${m.name} path`);
      // A path to a list makes one series per element; labels are read from the element.
      if (element.type === 'array') element = element.items!;
      for (const [label, path] of Object.entries(each!.labelsFromPath ?? {}))
        at(base.length > 0 ? element : schema, path, `${kind} ${m.name} label ${label}`);
      if (m.each.type === 'Gauge') {
        const value = each!.valueFrom ? at(element, each!.valueFrom, `${kind} ${m.name} value`) : element;
        expect(['integer', 'number', 'boolean'], `${kind} ${m.name}: a gauge needs a number`).toContain(value.type ?? 'integer');
      }
    }
  });

  it('the path checker refuses a field the CRD lacks (so the test above can fail)', () => {
    expect(() => at(crdSchema('Workspace', 'v1alpha1'), ['status', 'nope'], 'x')).toThrow(/status\.nope/);
  });
});
