// What a source file imports, for the boundary tests (src/kube stays generic,
// the doors reach the engine only through its surface). The TypeScript
// compiler's own pre-processor reads the specifiers: static imports,
// re-exports, side-effect imports and dynamic import(), however they wrap.
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

/** The `root`-relative paths that the file at `file` (with text `source`) reaches with its relative imports. */
export function relativeImportTargets(root: string, file: string, source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(root, resolve(dirname(file), s)));
}
