/**
 * edgehook/verify, the repository's own name for the receiver verifier: the package in
 * packages/verify (published as `@edgehook/verify`), its Hono middleware included, so the
 * receiver, the smoke test and the tests import one module as before.
 */
export * from "../../packages/verify/src/index.ts";
export * from "../../packages/verify/src/hono.ts";
