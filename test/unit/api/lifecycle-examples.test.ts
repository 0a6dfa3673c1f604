// examples/lifecycle/ must stay valid as the schema changes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateCoderConnection, validateWorkspace } from '../../../src/api/validate.ts';

const DIR = join(import.meta.dirname, '../../../examples/lifecycle');
const docs = (file: string) => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJS() as unknown);

describe('examples/lifecycle', () => {
  it('the connection with rollout control is valid', () => {
    for (const doc of docs('coderconnection.yaml')) expect(validateCoderConnection(doc)).toMatchObject({ ok: true });
  });
  it('every Workspace is valid', () => {
    const all = docs('workspaces.yaml');
    expect(all).toHaveLength(3);
    for (const doc of all) expect(validateWorkspace(doc)).toMatchObject({ ok: true });
  });
});
