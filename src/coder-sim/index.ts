// The Coder API simulator: an in-memory coderd for the endpoints this project
// uses, faithful to docs/coder-api.md (per Coder version: versions.ts), with fault knobs, call
// recording and an optional swagger contract check of every answer.
import type { Server } from 'node:http';
import { loadSwagger, SwaggerContract, defaultSwaggerPath } from './contract.ts';
import { FaultInjector } from './faults.ts';
import { SIM_FEATURES } from './features.ts';
import { buildRoutes } from './handlers/builds.ts';
import { lookupRoutes } from './handlers/lookups.ts';
import { templateVersionRoutes } from './handlers/template-versions.ts';
import { tokenRoutes } from './handlers/tokens.ts';
import { userGroupRoutes } from './handlers/users-groups.ts';
import { workspaceCreateRoutes } from './handlers/workspace-create.ts';
import { workspaceReadRoutes } from './handlers/workspace-read.ts';
import { workspaceSettingsRoutes } from './handlers/workspace-settings.ts';
import { RateLimiter } from './rate-limit.ts';
import { RetryAfterWindows } from './retry-windows.ts';
import { Router } from './router.ts';
import { applySeed, DEFAULT_SEED } from './seed.ts';
import { listen } from './server.ts';
import { SimState } from './state.ts';
import type { FaultOptions, RecordedCall, SimulatorOptions } from './types.ts';
import { bindProfile, versionProfile } from './versions.ts';

export type { FaultOptions, RecordedCall, SimulatorOptions } from './types.ts';
export type { SimSeed, SeedWorkspace } from './seed.ts';
export { DEFAULT_SEED, loadSeedFile } from './seed.ts';

export interface CoderSimulator {
  /** Base URL, e.g. http://127.0.0.1:40123 (paths start with /api/v2). */
  url: string;
  close(): Promise<void>;
  /** Every request, in arrival order. */
  calls: RecordedCall[];
  resetCalls(): void;
  /** A valid session token of a seeded (or added) user. */
  tokenFor(username: string): string;
  /** The in-memory store, for out-of-band changes in tests. */
  state: SimState;
  setFaults(faults: FaultOptions): void;
  /** Problems found by validateResponses; always [] when it is off. */
  contractViolations: string[];
  /** false when validateResponses is on but swagger.json was not found. */
  contractAvailable: boolean;
  /** The Coder version played (`latest`, `2.27.0`). */
  coderVersion: string;
}

export const SIM_ROUTES = [
  ...lookupRoutes,
  ...templateVersionRoutes,
  ...workspaceReadRoutes,
  ...workspaceCreateRoutes,
  ...workspaceSettingsRoutes,
  ...buildRoutes,
  ...tokenRoutes,
  ...userGroupRoutes,
  ...SIM_FEATURES.flatMap((feature) => feature.routes),
];

export async function startCoderSimulator(opts: SimulatorOptions = {}): Promise<CoderSimulator> {
  const clock = opts.clock ?? Date.now;
  const seed = opts.seed ?? DEFAULT_SEED;
  // Before anything starts: an unknown version is a usage error naming the known ones.
  const profile = versionProfile(opts.coderVersion ?? seed.coder_version);
  const state = new SimState({
    clock,
    allowRenames: opts.allowRenames ?? false,
    buildDurationMs: opts.buildDurationMs ?? 200,
    randomSeed: 0x5eed,
    experiments: opts.experiments ?? [],
  });
  bindProfile(state, profile);
  applySeed(state, seed);
  state.defaultOrg();

  let contract: SwaggerContract | undefined;
  if (opts.validateResponses) {
    const path = typeof opts.validateResponses === 'object' ? opts.validateResponses.swaggerPath : defaultSwaggerPath();
    const doc = loadSwagger(path);
    contract = doc ? new SwaggerContract(doc) : undefined;
  }

  const calls: RecordedCall[] = [];
  const contractViolations: string[] = [];
  const faults = new FaultInjector(opts.faults);
  let url = '';
  const { server, url: listening } = await listen(
    {
      state,
      router: new Router(SIM_ROUTES),
      rateLimiter: new RateLimiter(opts.rateLimitPerMinute ?? 512, clock),
      faults,
      calls,
      contract,
      contractViolations,
      baseUrl: () => url,
      retryWindows: new RetryAfterWindows(),
    },
    opts.port ?? 0,
  );
  url = listening;

  return {
    url,
    close: () => closeServer(server),
    calls,
    resetCalls: () => {
      calls.length = 0;
    },
    tokenFor: (username) => state.tokenFor(username),
    state,
    setFaults: (f) => faults.set(f),
    contractViolations,
    contractAvailable: contract !== undefined,
    coderVersion: profile.name,
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Keep-alive sockets would hold close() open until they time out.
    server.closeAllConnections();
  });
}
