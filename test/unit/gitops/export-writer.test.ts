// What a hostile or careless Coder answer can do to export's output: nothing.
// A note quoting Coder's data stays one comment line, and no owner name can
// make a file outside --out-dir.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ownerFileName, renderDocument, renderHeader } from '../../../src/gitops/export-writer.ts';

const doc = {
  apiVersion: 'coderops.dev/v1alpha1' as const,
  kind: 'Workspace' as const,
  metadata: { name: 'alice--dev' },
  spec: { owner: 'alice', template: 'docker' },
};

describe('export writer', () => {
  it('keeps every note and the header on comment lines, whatever they quote', () => {
    const text =
      renderHeader('https://coder.example.com', 'owner:alice\nkind: Secret') +
      renderDocument(doc, ['autostart left out: Coder holds "x\ny: injected\r\n---\nkind: Secret"']);
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    expect(docs).toEqual([doc]);
    expect(text.split('\n').filter((l) => l.includes('injected') || l.includes('Secret'))).toSatisfy((lines: string[]) =>
      lines.every((l) => l.startsWith('#')),
    );
  });

  it('names owner files only after names Coder could give a user', () => {
    expect(ownerFileName('Alice')).toBe('alice.yaml');
    expect(ownerFileName('a-b')).toBe('a-b.yaml');
    for (const bad of ['../etc/passwd', '..', 'a/b', '', 'x'.repeat(33), 'a--b', 'new']) expect(ownerFileName(bad)).toBeUndefined();
  });
});
