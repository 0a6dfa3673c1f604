#!/usr/bin/env node
// Entry point of coder-workspace-operator (alias cwo).
import { scrub } from '../observability/logger.ts';
import { quietOnClosedPipe } from './closed-pipe.ts';
import { buildProgram, EXIT_ERROR, EXIT_OK } from './program.ts';

// `cwo plan | head -1`: the reader going away is not an error of ours.
quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);

let exitCode = EXIT_OK;
try {
  await buildProgram((code) => (exitCode = code)).parseAsync(process.argv);
} catch (error) {
  // Messages are scrubbed of every token this process has read.
  process.stderr.write(`error: ${scrub(error instanceof Error ? error.message : String(error))}\n`);
  exitCode = EXIT_ERROR;
}
process.exitCode = exitCode;
