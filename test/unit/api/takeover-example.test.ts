// examples/takeover/ is what cwo export writes: it must stay valid as the schema changes,
// and keep the shape the guide describes (observe-only, Orphan, names <owner>--<name>).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateWorkspace } from '../../../src/api/validate.ts';
import { exportName } from '../../../src/gitops/export-document.ts';

const DIR = join(import.meta.dirname, '../../../examples/takeover/workspaces');

describe('examples/takeover', () => {
  it('every exported Workspace is valid, observe-only, orphaned on removal, and named after owner and workspace', () => {
    const files = readdirSync(DIR).sort();
    expect(files).toEqual(['alice.yaml', 'bob.yaml']);
    let count = 0;
    for (const file of files) {
      for (const d of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
        const doc = d.toJS() as { metadata: { name: string }; spec: Record<string, unknown> };
        expect(validateWorkspace(structuredClone(doc))).toMatchObject({ ok: true });
        expect(doc.spec).toMatchObject({ managementPolicies: ['Observe'], deletionPolicy: 'Orphan' });
        expect(`${doc.spec.owner}.yaml`).toBe(file);
        expect(doc.metadata.name).toBe(exportName(String(doc.spec.owner), String(doc.spec.name)));
        count++;
      }
    }
    expect(count).toBe(3);
  });
});
