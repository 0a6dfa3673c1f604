// `cwo validate -f …`: every check that needs no Coder (the schema, the
// rules the CRD enforces with CEL, duplicates across files), for pre-commit
// hooks and CI steps without a Coder URL or token. Exit 0: valid, 1: not.
import type { Command } from 'commander';
import { loadDeclarations } from '../gitops/load.ts';
import { connectionRefWarnings } from '../gitops/operator-fields.ts';
import { connectionRolloutWarnings } from './connection-warnings.ts';
import { inputOptions, GROUP } from './option-groups.ts';
import { errorsJson, renderErrors } from './render.ts';
import { Option } from 'commander';

interface ValidateFlags {
  filename: string[];
  output: 'text' | 'json';
}

export function registerValidateCommand(program: Command, run: (code: number) => void): Command {
  const cmd = inputOptions(program.command('validate'), true).description(
    'check Workspace YAML offline: schema, field rules and duplicates; no Coder needed (exit 0: valid, 1: errors)',
  );
  cmd.optionsGroup(GROUP.output).addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
  return cmd.action(async (flags: ValidateFlags) => run(await validate(flags)));
}

async function validate(flags: ValidateFlags): Promise<number> {
  const loaded = await loadDeclarations(flags.filename, { stdin: process.stdin });
  const warnings = [...connectionRefWarnings(loaded.workspaces), ...connectionRolloutWarnings(loaded.ignored)];
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (flags.output === 'json') {
    const out = loaded.errors.length > 0 ? errorsJson(loaded.errors) : { errors: [] };
    const sets = loaded.sets.map((s) => s.key);
    process.stdout.write(
      `${JSON.stringify({ ...(out as object), workspaces: loaded.workspaces.map((w) => w.key), ...(sets.length > 0 ? { workspaceSets: sets } : {}), warnings }, null, 2)}\n`,
    );
  } else if (loaded.errors.length > 0) {
    process.stdout.write(`${renderErrors(loaded.errors, 'fix them before plan or apply.')}\n`);
  } else {
    const files = new Set([...loaded.workspaces, ...loaded.sets].map((w) => w.source.file)).size;
    // A set's children are known only against Coder (plan): here the set itself is what is valid.
    const sets = loaded.sets.length > 0 ? ` and ${loaded.sets.length} workspace set(s)` : '';
    process.stdout.write(`✓ ${loaded.workspaces.length} workspace(s)${sets} in ${files} file(s) valid.\n`);
  }
  return loaded.errors.length > 0 ? 1 : 0;
}
