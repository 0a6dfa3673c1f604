// Checks that need every file at once: two declarations of one resource, or
// two resources for one Coder workspace. Either would make apply flip the
// workspace between two specs on every run, so both are errors, reported at
// every place involved so the user can pick which one to keep.
import type { DeclarationError } from './declaration.ts';
import type { Declared } from './parse.ts';

export function findDuplicates(declared: Declared[]): DeclarationError[] {
  const errors: DeclarationError[] = [];

  for (const group of groupBy(declared, (d) => d.loaded.key)) {
    const what = `${group[0]!.loaded.key} is declared ${times(group.length)}: ${places(group)}`;
    for (const d of group) errors.push(at(d, 'metadata.name', d.keyAt, `${what} (namespace/name must be unique)`));
  }

  // Coder keeps workspace names unique per owner, ignoring case (a unique
  // index on owner and lower(name)); usernames are case-insensitive too.
  for (const group of groupBy(declared, (d) => `${d.loaded.workspace.spec.owner}/${d.loaded.coderName}`.toLowerCase())) {
    // Copies of one resource were reported above; only distinct resources remain to name.
    if (new Set(group.map((d) => d.loaded.key)).size < 2) continue;
    const first = group[0]!.loaded;
    const what = `${first.workspace.spec.owner}/${first.coderName} is declared ${times(group.length)}: ${places(group)}`;
    for (const d of group) errors.push(at(d, d.nameField, d.nameAt, `${what} (a Coder workspace name is unique per owner, ignoring case)`));
  }
  return errors;
}

/** Groups with more than one member, in order of first appearance. */
function groupBy(items: Declared[], keyOf: (d: Declared) => string): Declared[][] {
  const groups = new Map<string, Declared[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()].filter((g) => g.length > 1);
}

function at(d: Declared, field: string, position: Declared['keyAt'], message: string): DeclarationError {
  return {
    file: d.loaded.source.file,
    document: d.loaded.source.document,
    field: `${d.fieldPrefix}${field}`,
    ...(position ? { line: position.line, column: position.column } : {}),
    message,
  };
}

function times(n: number): string {
  return n === 2 ? 'twice' : `${n} times`;
}

function places(group: Declared[]): string {
  const names = group.map((d) => {
    const item = d.fieldPrefix ? ` ${d.fieldPrefix.slice(0, -1)}` : '';
    return `${d.loaded.source.file} document ${d.loaded.source.document}${item}`;
  });
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}
