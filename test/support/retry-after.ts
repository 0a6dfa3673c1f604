// Did the client wait out the Retry-After of every injected 429 it read?
// Checked by order, on the simulator's own records, never by comparing clocks
// across processes: the simulator notes which injected 429's window (by its
// clock) each call arrived in, and the retry of a refused write must be in
// none of its own. Other calls may arrive inside a window: they were on their
// way before the client read the 429. So the check follows the refused request
// itself, for writes only (no write is ever in flight twice).
//
// Only 429s the client is known to have read count: a later call on the same
// connection shows it, since a client sends on a keep-alive connection only
// after reading the answer before (a client that timed out, on a stalled 429
// or on a simulator slowed by a loaded machine, closes the connection instead).
// One case this cannot see: a client starved of CPU whose own timeout fires
// after the answer arrived but before it ran; the connection is reused, yet the
// client never saw the 429. Tests give the client a timeout well above any
// stall of its event loop (test/integration/apply-faults.test.ts).
import type { RecordedCall } from '../../src/coder-sim/index.ts';

export interface RetryAfterCheck {
  problems: string[];
  /** Refused writes whose retry was checked: 0 means the check proved nothing. */
  checked: number;
}

/**
 * `client` names the client process a call came from, when several ran one
 * after another (a process that ends cannot pass the wait on): calls of
 * different clients are never compared.
 */
export function retryAfterCheck(calls: readonly RecordedCall[], client: (c: RecordedCall) => string = () => ''): RetryAfterCheck {
  const problems: string[] = [];
  let checked = 0;
  const identity = (c: RecordedCall) => `${client(c)} ${c.userId ?? '-'} ${c.method} ${c.path}?${c.query} ${JSON.stringify(c.requestBody)}`;
  const lastOnConnection = new Map<number, number>();
  for (const c of calls) lastOnConnection.set(c.connection, Math.max(c.id, lastOnConnection.get(c.connection) ?? 0));
  // Refused writes the client read, by identity, until their retry shows up (calls are recorded as answered).
  const waiting = new Map<string, RecordedCall>();
  for (const c of calls) {
    const key = identity(c);
    const limited = waiting.get(key);
    if (limited) {
      waiting.delete(key);
      checked += 1;
      if (c.insideRetryAfterOf?.includes(limited.id)) {
        const who = client(c);
        problems.push(
          `${who ? `${who}: ` : ''}${c.method} ${c.path} sent again ${c.at - (limited.answeredAt ?? limited.at)} ms ` +
            `after the 429 it read (call ${limited.id}), inside its Retry-After` +
            ` [429: call ${limited.id} on connection ${limited.connection}, arrived ${limited.at}, answered ${limited.answeredAt};` +
            ` again: call ${c.id} on connection ${c.connection}, arrived ${c.at}, ${c.status}${c.fault ? ` ${c.fault}` : ''}]`,
        );
      }
    }
    const read = (lastOnConnection.get(c.connection) ?? 0) > c.id;
    if (c.fault === 'burst429' && c.status === 429 && c.method !== 'GET' && read) waiting.set(key, c);
  }
  return { problems, checked };
}
