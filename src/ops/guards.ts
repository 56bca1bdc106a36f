import { readConfig } from "../config";
import { ApiError } from "../errors";
import { headerProblem } from "../security/headers";
import { checkTarget, targetPolicyOf } from "../security/target-guard";
import { DEFAULT_HMAC_HEADER, type SignatureConfig } from "../delivery/signing";

/**
 * Rejects a webhook target this deployment may not call: 400 with the guard's code, or 503 when
 * the hostname could not be resolved right now (the guard fails closed). `path` names the field
 * in the error's `issues`.
 */
export async function assertAllowedTarget(env: Env, url: string, path: string): Promise<void> {
  const problem = await checkTarget(url, targetPolicyOf(readConfig(env)));
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
