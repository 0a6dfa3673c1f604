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

// The label says "this Secret holds a Coder token", not "for which Coder":
// whoever may edit a connection could point spec.url at their own server and
// receive the token. So the Secret also names the Coder URL(s) its token may be
// sent to, and the operator sends it nowhere else. Required for a
// ClusterCoderConnection (an admin token, read across namespaces); for a
// CoderConnection a Secret without it still works, with a warning condition, so
// existing installs keep running while their owners add it (docs/operator/security.md).

export const ALLOWED_URLS_ANNOTATION = 'coderops.dev/allowed-urls';

type UrlBinding =
  | { kind: 'allowed' }
  /** The Secret names no URL: allowed only where the migration allows it (CoderConnection), with a warning. */
  | { kind: 'unbound'; message: string }
  | { kind: 'refused'; message: string };

/** The form both sides are compared in: scheme, host (lower case), port, path without trailing slashes. */
function comparableUrl(url: string): string | undefined {
  try {
    const u = new URL(url.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return undefined;
  }
}

/** May the token of Secret namespace/name go to `url`? Never quotes the annotation's other URLs (they are the owner's business). */
export function urlBinding(
  annotations: Readonly<Record<string, string>> | undefined,
  url: string,
  secret: { namespace: string; name: string },
): UrlBinding {
  const raw = annotations?.[ALLOWED_URLS_ANNOTATION];
  const annotate = `kubectl annotate secret -n ${secret.namespace} ${secret.name} ${ALLOWED_URLS_ANNOTATION}=${comparableUrl(url) ?? url}`;
  if (raw === undefined || raw.trim() === '')
    return {
      kind: 'unbound',
      message:
        `Secret ${secret.namespace}/${secret.name} does not name the Coder URLs its token may be sent to ` +
        `(annotation ${ALLOWED_URLS_ANNOTATION}); add it: ${annotate}`,
    };
  const wanted = comparableUrl(url);
  const allowed = raw
    .split(/[\s,]+/)
    .filter((u) => u !== '')
    .map(comparableUrl);
  if (wanted !== undefined && allowed.includes(wanted)) return { kind: 'allowed' };
  return {
    kind: 'refused',
    message:
      `Secret ${secret.namespace}/${secret.name} does not allow its token to be sent to ${wanted ?? url} ` +
      `(annotation ${ALLOWED_URLS_ANNOTATION}); no request was sent. If this URL is right, add it to the annotation: ${annotate}`,
  };
}
