// A test builder's overrides, where a field given as undefined is left out of
// what it builds: how a test takes away a default. With exactOptionalPropertyTypes
// an optional field may not hold undefined, and the code under test never meets
// one (it reads an absent field), so the builder removes the key instead.

/** The keys of T that may be absent. */
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** Partial<T>, where an optional field may also be given as undefined: "leave it out". */
export type Overrides<T> = { [K in keyof T]?: K extends OptionalKeys<T> ? T[K] | undefined : T[K] };

/** `base` with `overrides` laid over it; a field overridden with undefined is removed. */
export function overridden<T extends object>(base: T, overrides: Overrides<T>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete out[key];
    else out[key] = value;
  }
  return out as T;
}
