// The GitOps examples parse, say what the docs say they do, and the Argo
// CD ConfigMap carries exactly the Lua in workspace-health.lua.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const read = (path: string) => readFile(join(EXAMPLES, path), 'utf8');

describe('examples', () => {
  it('the GitHub Actions workflow parses and runs plan --repo with markdown output on pull requests', async () => {
    const wf = parse(await read('ci/github-actions.yaml'));
    expect(Object.keys(wf.on)).toEqual(['pull_request']);
    const steps = wf.jobs.plan.steps as { name?: string; run?: string }[];
    const plan = steps.find((s) => s.name === 'plan')!.run!;
    expect(plan).toMatch(/plan \\\n\s+--repo \. --ref "\$\{\{ github\.event\.pull_request\.head\.sha \}\}" --path workspaces\//);
    expect(plan).toContain('--output markdown');
    expect(steps.find((s) => s.name === 'comment')!.run).toContain('gh pr comment');
  });

  it('every Flux and Argo CD example is valid YAML with the expected kinds', async () => {
    const kinds: string[] = [];
    for (const file of [
      'flux/gitrepository.yaml',
      'flux/kustomization.yaml',
      'flux/coderconnection.yaml',
      'argocd/application.yaml',
      'argocd/argocd-cm.yaml',
    ]) {
      for (const doc of parseAllDocuments(await read(file))) {
        expect(doc.errors, file).toEqual([]);
        kinds.push(`${doc.get('apiVersion')}/${doc.get('kind')}`);
      }
    }
    expect(kinds).toEqual([
      'source.toolkit.fluxcd.io/v1/GitRepository',
      'kustomize.toolkit.fluxcd.io/v1/Kustomization',
      'coderops.dev/v1alpha1/CoderConnection',
      'argoproj.io/v1alpha1/Application',
      'v1/ConfigMap',
    ]);
    const ks = parse(await read('flux/kustomization.yaml'));
    expect(
      ks.spec.healthChecks.every(
        (c: { apiVersion: string; kind: string }) => c.apiVersion === 'coderops.dev/v1alpha1' && c.kind === 'Workspace',
      ),
    ).toBe(true);
  });

  it('argocd-cm.yaml carries workspace-health.lua verbatim', async () => {
    const cm = parse(await read('argocd/argocd-cm.yaml'));
    expect(cm.data['resource.customizations.health.coderops.dev_Workspace']).toBe(await read('argocd/workspace-health.lua'));
  });

  it('argocd-cm.yaml carries workspaceset-health.lua verbatim', async () => {
    const cm = parse(await read('argocd/argocd-cm.yaml'));
    expect(cm.data['resource.customizations.health.coderops.dev_WorkspaceSet']).toBe(await read('argocd/workspaceset-health.lua'));
  });
});
