/**
 * @edgehook/client: a typed client of the Edgehook HTTP API, on openapi-fetch, with the types
 * generated from the relay's OpenAPI document (api-types.ts).
 */
export { createClient, type ClientOptions, type EdgehookClient, type Schema, type SendOptions } from "./client.ts";
export { EdgehookError, type ClientErrorCode, type ErrorBody, type Issue } from "./errors.ts";
export type { RetryOptions } from "./retry.ts";
export type { Fetch } from "./transport.ts";
export type { components, operations, paths } from "./api-types.ts";
