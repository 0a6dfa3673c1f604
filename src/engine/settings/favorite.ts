// spec.favorite: on the owner's favorites. Only the owner can see or set it,
// so it is read with the owner's list (engine.ts) and written as the owner.
import type { Setting } from './setting.ts';

declare module '../types.ts' {
  interface SettingActions {
    favorite: { from: boolean | undefined; to: boolean };
  }
  interface SettingFailureReasons {
    /** Setting a favorite needs a token of the owner, and none could be minted (failure.ts reads OwnerTokenError so). */
    FavoriteNeedsOwnerToken: true;
  }
}

export const favoriteSetting: Setting<'favorite'> = {
  field: 'favorite',
  coderFields: [],
  reasonsNeedingAction: ['FavoriteNeedsOwnerToken'],
  label: 'favorite',
  fromSpec: (spec) => (spec.favorite !== undefined ? { favorite: spec.favorite } : {}),
  step: () => 'setting',
  compare(desired, observed) {
    if (desired.favorite === undefined || desired.favorite === observed.favorite) return undefined;
    return { action: { kind: 'favorite', from: observed.favorite, to: desired.favorite } };
  },
  read: undefined, // read per owner, with the owner's token (engine.ts observeFavorites)
  unlistedFields: ['favorite'],
  calls: [],
  atCreate: () => ({}),
  // A new workspace is nobody's favorite. Said only when the declaration manages it: a list cannot
  // see favorites, so the next look would find it unknown again and the status would change for nothing.
  createdWith: (desired) => (desired.favorite !== undefined ? { favorite: false } : {}),
  afterCreate: (desired) => (desired.favorite === true ? { kind: 'favorite', from: false, to: true } : undefined),
  async apply(action, ws, { ownerApi }) {
    const owner = await ownerApi({ id: ws.ownerId, username: ws.ownerName });
    await owner.setFavorite(ws.id, action.to);
    return { ...ws, favorite: action.to };
  },
  // Unknown (read without the owner's token) is left out rather than reported false.
  report: (ws) => (ws.favorite !== undefined ? { favorite: ws.favorite } : {}),
  change: (action) => ({ from: action.from === undefined ? 'unknown' : String(action.from), to: String(action.to) }),
  explainRefusal: () => undefined,
};
