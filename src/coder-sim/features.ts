// The Coder features the simulator plays as a module each (feature.ts).
// Adding one is its handler file and one line here.
import type { SimFeature } from './feature.ts';
import { workspaceSharing } from './handlers/workspace-sharing.ts';

export const SIM_FEATURES: readonly SimFeature[] = [workspaceSharing];
