// Kubernetes label selectors in their string form (`a=b,!c,d in (e,f)`), as
// kubectl -l and the apiserver's labelSelector parameter read them. The
// apiserver does the filtering of what a shard watches; this copy exists for
// the two things it cannot do for us: refuse a bad --watch-label-selector at
// start-up with a message that says what is wrong (rather than a 400 on every
// list, retried forever), and decide locally whether a connection, which every
// shard reads, is one whose status this shard writes (../controller/shard.ts).
//
// Supported: key, !key, key=value, key==value, key!=value, key in (a,b),
// key notin (a,b). The numeric `key>1` / `key<1` forms are refused: no label
// in this project carries a number to compare.

type Requirement = { key: string; op: 'exists' | 'absent' } | { key: string; op: 'in' | 'notin'; values: readonly string[] };

export interface LabelSelector {
  /** The selector as given, trimmed: what is sent to the apiserver. */
  readonly text: string;
  /** All must hold (a comma is an AND). Empty: everything matches. */
  readonly requirements: readonly Requirement[];
}

export class LabelSelectorError extends Error {
  constructor(selector: string, problem: string) {
    super(`invalid label selector "${selector}": ${problem} (e.g. coderops.dev/shard=shard1, or !coderops.dev/shard)`);
    this.name = 'LabelSelectorError';
  }
}

// The apiserver's own rules for label keys and values (a DNS-1123 subdomain
// prefix, a name of at most 63 characters).
const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function keyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (name === '') return `"${key}" has no name`;
  if (name.length > 63 || !NAME.test(name)) return `"${name}" is not a label name (63 characters at most: letters, digits, -, _, .)`;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) return `"${prefix}" is not a DNS subdomain prefix`;
  return undefined;
}

function valueProblem(value: string): string | undefined {
  return value.length > 63 || !NAME.test(value) ? `"${value}" is not a label value (63 characters at most)` : undefined;
}

/** Splits at commas outside parentheses: `a in (b,c),d` is two requirements. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim());
}

function parseTerm(selector: string, term: string): Requirement {
  const fail = (problem: string): never => {
    throw new LabelSelectorError(selector, problem);
  };
  if (term === '') fail('an empty requirement (two commas, or a trailing one)');
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
  let req: Requirement;
  if (set) {
    const values = set[3]!.split(',').map((v) => v.trim());
    if (values.length === 1 && values[0] === '') fail(`"${term}" lists no value`);
    for (const v of values) {
      const problem = valueProblem(v);
      if (problem) fail(problem);
    }
    req = { key: set[1]!, op: set[2] as 'in' | 'notin', values };
  } else if (/[<>]/.test(term)) {
    return fail(`"${term}": the numeric < and > forms are not supported`);
  } else {
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (eq) {
      const problem = valueProblem(eq[3]!);
      if (problem) fail(problem);
      req = { key: eq[1]!, op: eq[2] === '!=' ? 'notin' : 'in', values: [eq[3]!] };
    } else if (term.startsWith('!')) req = { key: term.slice(1).trim(), op: 'absent' };
    else if (/^\S+$/.test(term)) req = { key: term, op: 'exists' };
    else return fail(`"${term}" is not a requirement`);
  }
  const problem = keyProblem(req.key);
  if (problem) fail(problem);
  return req;
}

/** Parses a selector; throws LabelSelectorError naming what is wrong. An empty string selects everything. */
export function parseLabelSelector(selector: string): LabelSelector {
  const text = selector.trim();
  if (text === '') return { text, requirements: [] };
  return { text, requirements: splitTerms(text).map((t) => parseTerm(text, t)) };
}

/** The apiserver's semantics: `!=` and `notin` also hold when the label is absent. */
export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  return selector.requirements.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case 'absent':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
    }
  });
}
