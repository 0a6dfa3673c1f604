// A Coder feature the simulator plays as one module: its routes, what it adds
// to the workspace JSON, its facts per Coder version (versions.ts perVersion)
// and its own per-record state, all in its handler file, registered with one
// line in features.ts. A feature keeps its state in a WeakMap keyed by the
// record it belongs to (a SimWorkspace): the state lives and dies with the
// record, each simulator has its own, and model.ts/state.ts never learn of it.
import type { SimUser, SimWorkspace } from './model.ts';
import type { Route } from './router.ts';
import type { SimState } from './state.ts';

export interface SimFeature {
  /** What Coder calls it, e.g. `workspace-sharing` (its experiment, where it has one). */
  readonly name: string;
  /** Its routes; each says with servedBy on which versions it exists. */
  readonly routes: readonly Route[];
  /**
   * Adds its fields to a workspace's JSON (coderd's convertWorkspace) as the
   * version played shows them; undefined: it adds none.
   */
  readonly decorateWorkspace: ((state: SimState, ws: SimWorkspace, requester: SimUser, out: Record<string, unknown>) => void) | undefined;
}
