// What the connection check found: ready (with what Coder told about itself
// and the token's user) or not, with the reason. Its own file, so the check
// (coder-check.ts) and the registry that keeps it import it, not each other.
import type { WorkspaceOwner } from '../../engine/index.ts';

export type ConnectionState =
  /** warning: the Secret does not name its allowed URLs (a CoderConnection may still use it: token-secret.ts). */
  | {
      ready: true;
      version: string;
      /** The token's own user (GET /users/me): what `owner: me` means on this connection. */
      me?: WorkspaceOwner;
      renamesAllowed?: boolean;
      warning?: string;
    }
  | { ready: false; reason: NotReadyReason; message: string };

/**
 * SecretNotFound: the Secret or key cannot be read. SecretNotLabelled: the
 * Secret lacks the opt-in label (token-secret.ts) and was not used.
 * URLNotAllowed: the Secret's coderops.dev/allowed-urls does not name the
 * connection's URL (or, for a ClusterCoderConnection, names none): no request sent.
 * InvalidToken: the key holds something no session token looks like (a second
 * line, white space, a control character): never sent, never quoted.
 * Unauthorized: Coder refused the token. Unreachable: no usable answer.
 * NotCoder: the server answered, but not like Coder.
 */
type NotReadyReason =
  | 'SecretNotFound'
  | 'SecretNotLabelled'
  | 'URLNotAllowed'
  | 'InvalidToken'
  | 'Unauthorized'
  | 'Unreachable'
  | 'NotCoder';
