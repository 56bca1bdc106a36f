/**
 * Decides whether Edgehook may send to a URL. Applied when an endpoint or `webhook_url` is
 * written and again right before every send, so a policy change also covers stored targets.
 */

/** The deployment's target policy (CONTRACT.md: ALLOW_PRIVATE_TARGETS, REQUIRE_HTTPS). */
export interface TargetPolicy {
  allowPrivate: boolean;
  requireHttps: boolean;
}

/** Why a target was refused: a stable code and a sentence for the caller. */
export interface TargetProblem {
  code: "invalid_url" | "insecure_url" | "private_target";
  message: string;
}

const BLOCKED_HOSTNAMES = new Set(["localhost", "metadata.google.internal", "metadata"]);

/** Whether a hostname as the WHATWG URL parser normalised it names a non-public address. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (BLOCKED_HOSTNAMES.has(host) || host.endsWith(".localhost")) return true;
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31)
      || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
  }
  if (host.startsWith("[")) {
    const v6 = host.slice(1, -1);
    return v6 === "::" || v6 === "::1" || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || /^ff/.test(v6)
      || v6.startsWith("::ffff:");
  }
  return false;
}

/** Returns why `url` may not be a webhook target under `policy`, or null when it may. */
export function targetProblem(url: string, policy: TargetPolicy): TargetProblem | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { code: "invalid_url", message: "The URL is not an absolute URL" };
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return { code: "invalid_url", message: "Only http and https URLs can receive webhooks" };
  }
  if (parsed.username || parsed.password) {
    return { code: "invalid_url", message: "Credentials in the URL are not allowed; use endpoint headers instead" };
  }
  if (policy.requireHttps && parsed.protocol !== "https:") {
    return { code: "insecure_url", message: "This deployment requires https targets" };
  }
  if (!policy.allowPrivate && isPrivateHost(parsed.hostname)) {
    return { code: "private_target", message: "Private, loopback and link-local targets are not allowed here" };
  }
  return null;
}
