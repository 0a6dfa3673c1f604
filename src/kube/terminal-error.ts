// A reconcile error that retrying cannot fix, as controller-runtime's
// reconcile.TerminalError: the worker records it and forgets the key's backoff
// instead of requeueing it. The key is looked at again only when something
// enqueues it: a change to the object or to what it depends on.
export class TerminalError extends Error {
  override readonly cause: unknown;

  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'TerminalError';
    this.cause = cause;
  }
}

export function isTerminal(error: unknown): error is TerminalError {
  return error instanceof TerminalError;
}
