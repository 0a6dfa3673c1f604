// The Secret that holds a Coder token, as the operator accepts it: labelled
// coderops.dev/secret-type=coder-token (it reads no other Secret as a token,
// src/controller/connection/token-secret.ts), and for a ClusterCoderConnection
// annotated with the URLs the token may be sent to. The label and annotation
// are written out, not imported from src: they are what users put on their
// Secrets, so a test must notice when the product stops reading them.

export interface TokenSecretOptions {
  /** The coderops.dev/allowed-urls annotation; required where a ClusterCoderConnection uses the Secret. */
  allowedUrls?: string;
  /** Empty by default: the e2e harness's setToken() fills it later, so the token never shows in last-applied. */
  token?: string;
}

/** A labelled token Secret manifest, key `token`. */
export function tokenSecret(name: string, namespace: string, options: TokenSecretOptions = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Secret' as const,
    metadata: {
      name,
      namespace,
      labels: { 'coderops.dev/secret-type': 'coder-token' },
      ...(options.allowedUrls === undefined ? {} : { annotations: { 'coderops.dev/allowed-urls': options.allowedUrls } }),
    },
    stringData: { token: options.token ?? '' },
  };
}
