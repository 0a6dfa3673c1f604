// The text patterns more than one layer checks, defined once. They are strings
// because the schema hands them to ajv and to the apiserver (RE2, via the CRDs);
// the helpers below are the same patterns for code.

/** A UUID in any case (Coder answers lower-case; users may write either). */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** An http:// or https:// URL (a Coder deployment, a git remote over HTTP). */
export const URL_PATTERN = '^https?://';

const UUID = new RegExp(UUID_PATTERN);
const HTTP_URL = new RegExp(URL_PATTERN);

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

export function isHttpUrl(text: string): boolean {
  return HTTP_URL.test(text);
}
