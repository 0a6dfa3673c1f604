// Starts one control plane for the e2e run and hands its kubeconfig to the
// tests; tears it down afterwards, also when tests failed.
import type { TestProject } from 'vitest/node';
import { startControlPlane } from '../control-plane/control-plane.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    server: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const plane = await startControlPlane();
  process.stdout.write(`[e2e] control plane up at ${plane.server} in ${plane.startupMs} ms\n`);
  project.provide('kubeconfig', plane.kubeconfig);
  project.provide('server', plane.server);
  return () => plane.stop();
}
