// The opt-in a Secret needs before the operator uses it as a Coder token.
// Whoever may create a CoderConnection may name any Secret of its namespace,
// and the operator (which may get Secrets everywhere) would send that value
// as a session token to whatever URL the connection names: a confused deputy.
// So a Secret is used only when its owner labelled it for this purpose, the
// shape Argo CD uses for its repository Secrets (argocd.argoproj.io/secret-type).
// Other Secrets are never sent anywhere, whatever a connection says.

export const SECRET_TYPE_LABEL = 'coderops.dev/secret-type';
export const SECRET_TYPE_CODER_TOKEN = 'coder-token';

export function optedIn(labels: Readonly<Record<string, string>> | undefined): boolean {
  return labels?.[SECRET_TYPE_LABEL] === SECRET_TYPE_CODER_TOKEN;
}

/** Says what is missing and the one command that fixes it. */
export function notLabelledMessage(namespace: string, name: string): string {
  return (
    `Secret ${namespace}/${name} is not labelled ${SECRET_TYPE_LABEL}=${SECRET_TYPE_CODER_TOKEN}, ` +
    'so the operator will not use it as a Coder token; ' +
    `if it holds one, label it: kubectl label secret -n ${namespace} ${name} ${SECRET_TYPE_LABEL}=${SECRET_TYPE_CODER_TOKEN}`
  );
}
