import { readConfig } from "../config";
import { ApiError } from "../errors";
import { headerProblem } from "../security/headers";
import { normalizeSigningKey, type KeyKind } from "../security/signing-keys";
import { relayOriginOf } from "../relay-origin";
import { checkTarget, targetPolicyOf } from "../security/target-guard";
import type { SignatureConfig } from "../delivery/signing";
import { DEFAULT_HMAC_HEADER } from "../limits";

/**
 * Rejects a webhook target this deployment may not call: 400 with the guard's code (`self_target`
 * for the relay's own origin, when a request set it: src/relay-origin.ts), or 503 when the hostname
 * could not be resolved right now (the guard fails closed). `path` names the field in the error's
 * `issues`.
 */
export async function assertAllowedTarget(env: Env, url: string, path: string): Promise<void> {
  const problem = await checkTarget(url, { ...targetPolicyOf(readConfig(env)), selfOrigin: relayOriginOf(env) });
  if (!problem) return;
  const status = problem.code === "dns_unavailable" ? 503 : 400;
  throw new ApiError(status, problem.code, problem.message, [{ path, message: problem.message }]);
}

/** Rejects custom headers that would collide with the endpoint's own hmac-sha256 signature header. */
export function assertHeadersFitSignature(headers: Record<string, string>, signature: SignatureConfig): void {
  if (signature.scheme !== "hmac-sha256") return;
  const signatureHeader = signature.header ?? DEFAULT_HMAC_HEADER;
  const issues = Object.entries(headers).flatMap(([name, value]) => {
    const problem = headerProblem(name, value, signatureHeader);
    return problem ? [{ path: `headers.${name}`, message: problem }] : [];
  });
  if (issues.length > 0) throw new ApiError(400, "validation_failed", "The request body is invalid", issues);
}

/**
 * A supplied signing key (`secret` of a create, PATCH or rotation; its form already checked by the
 * schema) in the form it is stored: a 64-byte `whsk_` key becomes its seed. 400 when such a key's
 * public half does not belong to its seed.
 */
export async function normalizedKeyInput(secret: string | undefined): Promise<string | undefined> {
  if (secret === undefined) return undefined;
  const normalized = await normalizeSigningKey(secret);
  if (normalized === null) {
    throw new ApiError(400, "validation_failed", "The request is invalid", [
      { path: "secret", message: "the last 32 bytes of this 64-byte whsk_ key are not the public key of its first 32" },
    ]);
  }
  return normalized;
}

/** 400 for a supplied key of the wrong kind for the scheme it would sign for. */
export function wrongKeyKind(kind: KeyKind): ApiError {
  const message =
    kind === "ed25519" ? "must be a whsk_ key: the ed25519 scheme signs with an Ed25519 private key" : "must be a whsec_ secret: this scheme signs with HMAC";
  return new ApiError(400, "validation_failed", "The request body is invalid", [{ path: "secret", message }]);
}
