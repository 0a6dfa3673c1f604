// Where the contract checks look for Coder's OpenAPI document, in words a
// person can act on when it is missing.
import { defaultSwaggerPath } from '../../src/coder-sim/contract.ts';

export const SWAGGER_HINT =
  `no swagger.json at ${defaultSwaggerPath()}: ` +
  "put the real server's coderd/apidoc/swagger.json there, or set CODER_SWAGGER to its path";
