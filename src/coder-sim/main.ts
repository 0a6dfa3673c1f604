// Standalone simulator for manual use:
//   node src/coder-sim/main.ts --seed examples/coder-sim-seed.yaml --port 0 [--allow-renames] [--coder-version 2.27.0]
// Prints one JSON line with the URL, then one per seeded user with its token.
// The tokens are for a throwaway local simulator only.
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, loadSeedFile, startCoderSimulator } from './index.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    port: { type: 'string', default: '0' },
    'allow-renames': { type: 'boolean', default: false },
    'rate-limit': { type: 'string' },
    'build-duration-ms': { type: 'string' },
    // latest (default) or 2.27.0; also settable as coder_version in the seed file.
    'coder-version': { type: 'string' },
  },
});

const sim = await startCoderSimulator({
  seed: values.seed ? loadSeedFile(values.seed) : DEFAULT_SEED,
  port: Number(values.port),
  allowRenames: values['allow-renames'],
  ...(values['coder-version'] !== undefined ? { coderVersion: values['coder-version'] } : {}),
  ...(values['rate-limit'] !== undefined ? { rateLimitPerMinute: Number(values['rate-limit']) } : {}),
  ...(values['build-duration-ms'] !== undefined ? { buildDurationMs: Number(values['build-duration-ms']) } : {}),
});

process.stdout.write(`${JSON.stringify({ url: sim.url, coderVersion: sim.coderVersion })}\n`);
for (const user of sim.state.users.values()) {
  process.stdout.write(`${JSON.stringify({ username: user.username, token: sim.tokenFor(user.username) })}\n`);
}

const stop = () => {
  sim.close().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
