// Two or three examples under each command's --help: the commands people
// actually type, from a first plan to the CI and pre-commit forms.
import type { Command } from 'commander';

const EXAMPLES: Record<string, string[]> = {
  validate: [
    '# check every document offline (schema, rules, duplicates); exit 1 on an error',
    'cwo validate -f workspaces/',
    '# as a pre-commit hook, on the files being committed',
    'cwo validate -f $(git diff --cached --name-only -- "*.yaml")',
  ],
  plan: [
    '# what apply would change (exit 0: in sync, 2: changes, 1: error)',
    'CODER_URL=https://coder.example.com CODER_SESSION_TOKEN=… cwo plan -f workspaces/',
    '# a pull-request comment from a checkout, with deletions of what was removed',
    'cwo plan --repo . --ref HEAD --path workspaces --prune -o markdown > plan.md',
    '# the whole plan for a script or an artifact',
    'cwo plan -f workspaces/ -o json > plan.json',
  ],
  apply: [
    'cwo apply -f workspaces/',
    '# also delete or orphan what is no longer declared, at most 5 deletions',
    'cwo apply -f workspaces/ --prune --max-prune 5',
    '# updates only inside a nightly window, 20 at a time',
    'cwo apply -f workspaces/ --window-schedule "0 22 * * 1-5" --window-duration 4h --max-unavailable 20',
  ],
  status: [
    'cwo status -f workspaces/',
    '# what the last sync tick saw, without calling Coder',
    'cwo status --status-file /var/lib/cwo/status.json',
  ],
  sync: [
    'cwo sync --repo https://github.com/acme/workspaces.git --ref main --path teams --token-env GITHUB_TOKEN',
    '# one tick from a CI job (exit 0: applied or in sync, 1: error)',
    'cwo sync --repo . --ref main --once --prune',
  ],
  export: [
    '# every workspace of team-a, observe-only, one file per owner',
    'cwo export --query "owner:alice template:go-dev" --observe --out-dir workspaces/',
    '# as custom resources for a namespace, on stdout',
    'cwo export --query "organization:coder" --namespace team-a > team-a.yaml',
  ],
  run: ['# inside the cluster (the Helm chart passes these)', 'cwo run --leader-elect --namespaces team-a,team-b'],
  completion: [
    'cwo completion bash > /etc/bash_completion.d/cwo',
    'cwo completion zsh > ~/.zsh/completions/_cwo   # a directory on $fpath',
    'cwo completion fish > ~/.config/fish/completions/cwo.fish',
  ],
};

export function addExamples(cmd: Command): Command {
  const lines = EXAMPLES[cmd.name()];
  if (!lines) return cmd;
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l.startsWith('#') ? l : `$ ${l}`}`).join('\n')}\n`);
}
