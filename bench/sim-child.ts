// The Coder simulator in a process of its own (forked by bench/main.ts), so its
// CPU time is not counted as the client's. Talks over the IPC channel:
//   → {op:'calls', since?}  ← {calls: [method, route, status, at, name][]}
//   → {op:'reset'}          ← {ok}
//   → {op:'census'}         ← {workspaces, duplicates}
//   → {op:'usage'}          ← process.resourceUsage() in ms / KB
import { startCoderSimulator } from '../src/coder-sim/index.ts';
import { benchSeed, type CompactCall, type SimChildConfig } from './fixtures.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as SimChildConfig;

if (process.send) {
  const sim = await startCoderSimulator({
    seed: benchSeed(config),
    rateLimitPerMinute: 0,
    buildDurationMs: config.buildDurationMs,
    faults: { latencyMs: config.latencyMs },
  });
  process.on('message', (msg: { id: number; op: string }) => {
    const reply = (body: object) => process.send!({ id: msg.id, ...body });
    if (msg.op === 'calls') {
      reply({
        calls: sim.calls.map((c): CompactCall => {
          const body = c.requestBody as { name?: unknown } | undefined;
          const name = c.method === 'POST' && typeof body?.name === 'string' ? body.name : c.query ? `${c.path}?${c.query}` : c.path;
          return [c.method, c.route, c.status, c.at, name];
        }),
      });
    } else if (msg.op === 'reset') {
      sim.resetCalls();
      reply({ ok: true });
    } else if (msg.op === 'census') {
      const seen = new Map<string, number>();
      for (const ws of sim.state.workspaces.values()) {
        if (ws.deletingAt !== null) continue;
        const key = `${ws.ownerId}/${ws.name.toLowerCase()}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      let duplicates = 0;
      for (const v of seen.values()) duplicates += v - 1;
      reply({ workspaces: seen.size, duplicates });
    } else if (msg.op === 'usage') {
      const u = process.resourceUsage();
      reply({ userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000, maxRssKb: u.maxRSS });
    }
  });
  process.send({ id: 0, url: sim.url, token: sim.tokenFor('admin') });
  process.on('disconnect', () => process.exit(0));
}
