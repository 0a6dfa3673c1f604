#!/usr/bin/env node
// Entry point of coder-workspace-operator (alias cwo).
import { scrub } from '../observability/logger.ts';
import { buildProgram, EXIT_ERROR, EXIT_OK } from './program.ts';

let exitCode = EXIT_OK;
try {
  await buildProgram((code) => (exitCode = code)).parseAsync(process.argv);
} catch (error) {
  // Messages are scrubbed of every token this process has read.
  process.stderr.write(`error: ${scrub(error instanceof Error ? error.message : String(error))}\n`);
  exitCode = EXIT_ERROR;
}
process.exitCode = exitCode;
