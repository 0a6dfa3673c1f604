// A command line that cannot work as given (a missing flag, an unreadable
// token file). Here rather than in src/cli, which throws it: the sync daemon
// (./sync.ts) tells it apart by type, and gitops does not import the CLI.
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
