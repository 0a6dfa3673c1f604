// One problem in a document, at a path a person can find: `spec.ttl`,
// `spec.parameters[2].name`, `metadata.labels["app.kubernetes.io/name"]`.
// The same spelling is what src/gitops/locate.ts reads to point at a line.

export interface FieldError {
  path: string;
  message: string;
}

type PathSegment = string | number;

/** Segments to text: numbers are list indexes, odd keys are quoted. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * A JSON pointer from ajv (`/spec/parameters/2/name`) as segments. The data
 * decides whether "2" is a list index or a key that happens to be digits.
 */
export function pointerSegments(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^\d+$/.test(key)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}
