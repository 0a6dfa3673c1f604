// Who may use which connection (docs/architecture.md, tenancy and security). Pure, so
// every allow and deny is a table row in a test. A CoderConnection carries a
// team's own token and serves only its own namespace; a ClusterCoderConnection
// carries an admin token and serves only the namespaces its spec.allow rules
// select, and only the owners those rules list. No rule: deny.
import type { ClusterCoderConnection } from '../../api/schema.ts';

export type OwnerRule = NonNullable<ClusterCoderConnection['spec']['allow']>[number];

export type TenancyVerdict = { allowed: true } | { allowed: false; message: string };

export interface TenancyInput {
  connection:
    | { kind: 'CoderConnection'; namespace: string; name: string }
    | { kind: 'ClusterCoderConnection'; name: string; allow: readonly OwnerRule[] | undefined };
  workspaceNamespace: string;
  /** The workspace namespace's labels; undefined when the Namespace is not (yet) known. */
  namespaceLabels: Readonly<Record<string, string>> | undefined;
  /** spec.owner as written (username or UUID). */
  owner: string;
}

/** Does the rule's namespaceSelector admit the namespace? No selector (or an empty one) admits every namespace. */
export function ruleSelects(rule: OwnerRule, namespace: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  const sel = rule.namespaceSelector;
  if (!sel) return true;
  if (sel.matchNames && sel.matchNames.length > 0 && !sel.matchNames.includes(namespace)) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
    // Unknown labels never match a label requirement: deny rather than guess.
    if (labels?.[k] !== v) return false;
  }
  return true;
}

export function ruleAllowsOwner(rule: OwnerRule, owner: string): boolean {
  return rule.owners.some((o) => o === '*' || o.toLowerCase() === owner.toLowerCase());
}

export function checkTenancy(input: TenancyInput): TenancyVerdict {
  const { connection: c, workspaceNamespace: ns, owner } = input;
  if (c.kind === 'CoderConnection') {
    if (c.namespace === ns) return { allowed: true };
    return { allowed: false, message: `CoderConnection ${c.namespace}/${c.name} serves only namespace "${c.namespace}", not "${ns}"` };
  }
  const rules = c.allow ?? [];
  if (rules.length === 0)
    return {
      allowed: false,
      message:
        `ClusterCoderConnection "${c.name}" has no spec.allow rules, so it serves no namespace (default deny); ` +
        `ask the cluster admin to add a rule selecting namespace "${ns}" with owner "${owner}"`,
    };
  const selecting = rules.filter((r) => ruleSelects(r, ns, input.namespaceLabels));
  if (selecting.length === 0) {
    const labelsUnknown = input.namespaceLabels === undefined ? ' (its labels are not known yet)' : '';
    return {
      allowed: false,
      message:
        `no spec.allow rule of ClusterCoderConnection "${c.name}" selects namespace "${ns}"${labelsUnknown}; ` +
        'ask the cluster admin to add one (namespaceSelector.matchNames or matchLabels)',
    };
  }
  if (selecting.some((r) => ruleAllowsOwner(r, owner))) return { allowed: true };
  const listed = [...new Set(selecting.flatMap((r) => r.owners))].join(', ');
  return {
    allowed: false,
    message:
      `the spec.allow rules of ClusterCoderConnection "${c.name}" that select namespace "${ns}" do not list owner "${owner}" ` +
      `(they allow: ${listed}); ask the cluster admin to add the owner to a rule`,
  };
}
