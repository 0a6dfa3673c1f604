// Parameter values on builds after the first (coderd/wsbuilder): what a
// build request may change and how Coder refuses the rest. An immutable
// parameter keeps its first value; a required one must have a value from
// this request or an earlier build. Both refusals come in the two shapes of
// docs/coder-api.md, Creating a workspace: classic flow (one parameter, reason in detail) and
// dynamic flow (one validation per parameter).
import type { ValidationError } from '../coder/types.ts';
import type { SimTemplate, SimTemplateVersion } from './model.ts';
import { errorResponse, type SimResponse } from './responses.ts';

interface ParamValue {
  name: string;
  value: string;
}

/** The well-formed {name, value} pairs of a rich_parameter_values body field. */
export function sentParameters(given: unknown): ParamValue[] {
  if (!Array.isArray(given)) return [];
  return given.flatMap((p: unknown) => {
    const { name, value } = (p ?? {}) as { name?: unknown; value?: unknown };
    return typeof name === 'string' ? [{ name, value: typeof value === 'string' ? value : '' }] : [];
  });
}

/** The refusal of a build's parameters against the previous build, or undefined. */
export function buildParameterProblem(
  template: SimTemplate,
  version: SimTemplateVersion | undefined,
  previous: ParamValue[],
  sent: ParamValue[],
): SimResponse | undefined {
  if (!version) return undefined;
  const before = new Map(previous.map((p) => [p.name, p.value]));
  const given = new Map(sent.map((p) => [p.name, p.value]));
  const problems: { name: string; summary: string; detail: string }[] = [];
  for (const p of version.parameters) {
    const value = given.get(p.name);
    const old = before.get(p.name);
    if (!p.mutable && value !== undefined && old !== undefined && value !== old)
      problems.push({
        name: p.name,
        summary: 'Immutable parameter changed',
        detail: `Parameter ${JSON.stringify(p.name)} is not mutable, so it can't be updated after creating a workspace.`,
      });
    else if (p.required && value === undefined && old === undefined)
      problems.push({
        name: p.name,
        summary: 'Required parameter not provided',
        detail: `parameter ${JSON.stringify(p.name)} is required but not provided`,
      });
  }
  problems.sort((a, b) => a.name.localeCompare(b.name));
  const [first] = problems;
  if (!first) return undefined;
  if (template.useClassicParameterFlow)
    return errorResponse(400, `Unable to validate parameter ${JSON.stringify(first.name)}`, { detail: first.detail });
  const validations: ValidationError[] = problems.map((p) => ({ field: p.name, detail: `${p.summary}; ${p.detail}` }));
  return errorResponse(400, 'Unable to validate parameters', { validations });
}
