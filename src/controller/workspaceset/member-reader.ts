// The members of a set are read through its connection's own Coder client (the
// one its children's workspaces are managed with: same token, same rate limit,
// same circuit breaker, same list bounds), by the fleet core's reader.
import { CoderClient } from '../../coder/client.ts';
import { CoderMemberReader } from '../../fleet/coder-member-reader.ts';
import type { MemberReader } from '../../fleet/generators.ts';
import type { ConnectionRuntime } from '../connection/registry.ts';

export function memberReaderFor(rt: ConnectionRuntime): MemberReader {
  if (!(rt.api instanceof CoderClient)) throw new Error(`connection ${rt.ref.id} has no Coder client to read members with`);
  return new CoderMemberReader(rt.api);
}
