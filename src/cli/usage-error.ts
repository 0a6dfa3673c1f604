// A command line that cannot work as given (a missing flag, an unreadable
// token file). Its own file so the sync daemon (src/gitops/sync.ts) can tell
// it apart by type without loading the CLI's connection code.
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
