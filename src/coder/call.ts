// A Coder endpoint described as data: its method, its route template, whether
// sending it again is safe, and how its answer is read. A managed setting's
// table entry (src/engine/settings/) declares the calls it needs this way, so
// the setting names its own routes while CoderApi.send stays the only code
// that speaks HTTP (auth, retries, rate limits, bounded bodies, metrics by
// route template).
import type { HttpMethod } from './transport.ts';

/** The `{name}` parameters of a route template, as a union of their names. */
type RouteParamNames<Route extends string> = Route extends `${string}{${infer Name}}${infer Rest}` ? Name | RouteParamNames<Rest> : never;

/** A value for every parameter of the route: a missing or misspelt one is a compile error. */
export type RouteParams<Route extends string> = { readonly [Name in RouteParamNames<Route>]: string };

export interface CoderCall<Route extends string = string, Body = unknown, Answer = unknown> {
  readonly method: HttpMethod;
  /** e.g. /api/v2/workspaces/{workspace}/acl: what metrics, logs and the contract test name it by. */
  readonly route: Route;
  /** Safe to send again after a lost answer, a 5xx or a 429 (see CoderRequest.idempotent). */
  readonly idempotent: boolean;
  /** The JSON body sent for `body`; undefined: a call without a body. */
  readonly encode: ((body: Body) => unknown) | undefined;
  /** The answer's body read into its type; throws TypeError when it has another shape. */
  readonly decode: (body: unknown) => Answer;
}

/** Any call, whatever its body and answer (a list of the routes a setting uses). */
export type AnyCoderCall = CoderCall<string, never, unknown>;

/** The body argument of CoderApi.send: none for a call without one, else exactly its type. */
export type CallBody<Body> = [Body] extends [undefined] ? [] : [body: Body];

/** For a call whose answer carries nothing (204). */
export function noAnswer(): void {}
