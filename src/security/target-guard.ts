/**
 * Decides whether Edgehook may send to a URL. Applied when an endpoint or `webhook_url` is
 * written and again right before every send, so a policy change also covers stored targets.
 *
 * The URL is classified exactly as the WHATWG URL parser (the one `fetch` uses) normalises it:
 * every IPv4 spelling the parser accepts (decimal `2130706433`, hex `0x7f.1`, octal `0177.0.0.1`,
 * short `127.1`, percent-encoded, full-width digits) arrives here as dotted decimal, and IPv6 as
 * bracketed hex, so there is one form to judge. See SECURITY.md for the whole policy.
 */
import type { Config } from "../config";
import { DOH_TIMEOUT_MS } from "../limits";
import { resolveHost, type DohAnswer } from "./doh";
import { blockedAddressReason, ipv4AddressesOf } from "./ip-address";

/** The deployment's target policy (README "Configuration": ALLOW_PRIVATE_TARGETS, REQUIRE_HTTPS; DOH_URL). */
export interface TargetPolicy {
  allowPrivate: boolean;
  requireHttps: boolean;
  /** DNS-over-HTTPS JSON endpoint for resolving hostnames; no resolution when unset. */
  dohUrl?: string;
  /**
   * The origin the relay was reached at for this request (`http://localhost:8787`): a target there
   * would send the relay's deliveries back to the relay, up to a loop when it names an enqueue route.
   */
  selfOrigin?: string;
}

/** The target policy a deployment's settings describe. */
export function targetPolicyOf(config: Pick<Config, "ALLOW_PRIVATE_TARGETS" | "REQUIRE_HTTPS" | "DOH_URL">): TargetPolicy {
  return { allowPrivate: config.ALLOW_PRIVATE_TARGETS, requireHttps: config.REQUIRE_HTTPS, dohUrl: config.DOH_URL };
}

/** Why a target was refused: a stable code and a sentence for the caller. */
export interface TargetProblem {
  code: "invalid_url" | "insecure_url" | "private_target" | "blocked_port" | "self_target" | "unresolvable_target" | "dns_unavailable";
  message: string;
}

/**
 * Ports a target may name when private targets are refused: the scheme defaults, the common
 * alternates 8080/8443, and the other HTTP(S) ports Cloudflare proxies. Everything else (SSH,
 * SMTP, databases, admin consoles) is refused.
 */
const ALLOWED_PORTS: ReadonlySet<number> = new Set([80, 443, 8080, 8443, 2052, 2053, 2082, 2083, 2086, 2087, 2095, 2096, 8880]);

/**
 * Hostnames of cloud instance-metadata services. They are refused even where private targets
 * are allowed (local development), since no webhook ever needs to reach them.
 */
const METADATA_HOSTNAMES = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
  "metadata.platformequinix.com",
]);
/**
 * Metadata service addresses, likewise refused in every mode: the IPv4 ones in any IPv6 form that
 * carries them too (`[::ffff:169.254.169.254]`, `[64:ff9b::a9fe:a9fe]`…), since the runtime or
 * the network connects such an address to the IPv4 host. Link-local IPv4 is where nearly every
 * cloud puts its services (169.254.169.254 for AWS, GCP, Azure, OpenStack and Oracle; ECS and EKS
 * 169.254.170.2 and .23; Tencent 169.254.0.23; Scaleway 169.254.42.42), so the whole of
 * 169.254.0.0/16 is refused rather than a list that misses the next one; the rest are listed.
 */
const LINK_LOCAL_IPV4_PREFIX = "169.254.";
const METADATA_IPV4 = new Set(["100.100.100.200", "168.63.129.16", "192.0.0.192"]);
/** AWS (IMDS, EKS Pod Identity), Google Cloud, Oracle Cloud, OpenStack; as the URL parser writes them. */
const METADATA_IPV6 = new Set(["[fd00:ec2::254]", "[fd00:ec2::23]", "[fd20:ce::254]", "[fd00:c1::a9fe:a9fe]", "[fe80::a9fe:a9fe]"]);

function isMetadataIPv4(dotted: string): boolean {
  return dotted.startsWith(LINK_LOCAL_IPV4_PREFIX) || METADATA_IPV4.has(dotted);
}

function isMetadataHost(host: string): boolean {
  return METADATA_HOSTNAMES.has(host) || METADATA_IPV6.has(host) || ipv4AddressesOf(host).some(isMetadataIPv4);
}

/**
 * Names that only ever resolve on private networks: special-use (RFC 6761, RFC 8375) and
 * private-use (ICANN's `.internal`) domains, plus the suffixes intranets commonly squat on.
 */
const PRIVATE_SUFFIXES = ["local", "internal", "localdomain", "home.arpa", "arpa", "lan", "intranet", "corp", "private", "test", "example", "invalid", "onion"];

const problem = (code: TargetProblem["code"], message: string): TargetProblem => ({ code, message });

/** Why a hostname (already normalised by the URL parser, no trailing dot) is never public. */
function privateHostnameReason(host: string): string | null {
  if (!host.includes(".")) return "single-label hostnames only resolve on private networks";
  const suffix = PRIVATE_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  return suffix ? `".${suffix}" names only resolve on private networks` : null;
}

/** Loopback names and addresses: on a relay reached at one, any of them with its port is the relay too. */
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Whether `target` names the server the relay answers at `self`: the same origin, or, for a relay on
 * a loopback address (local development), any loopback spelling with the same scheme and port.
 */
function isSameServer(target: URL, self: URL): boolean {
  if (target.origin === self.origin) return true;
  return (
    target.protocol === self.protocol &&
    target.port === self.port &&
    LOOPBACK_HOST.test(target.hostname) &&
    LOOPBACK_HOST.test(self.hostname)
  );
}

/** Why a normalised hostname may not be a target; `allowPrivate` keeps only the metadata rule. */
function hostProblem(host: string, allowPrivate: boolean): TargetProblem | null {
  if (isMetadataHost(host)) {
    return problem("private_target", "Cloud metadata services, and link-local 169.254.0.0/16 where most of them live, are never webhook targets");
  }
  if (allowPrivate) return null;
  if (host === "localhost" || host.endsWith(".localhost")) {
    return problem("private_target", "localhost is not allowed as a target here");
  }
  const addressReason = blockedAddressReason(host);
  if (addressReason) return problem("private_target", `The target address is ${addressReason}; only public addresses are allowed here`);
  if (addressReason === undefined) {
    const nameReason = privateHostnameReason(host);
    if (nameReason) return problem("private_target", `The target hostname is not public: ${nameReason}`);
  }
  return null;
}

/**
 * Returns why `url` may not be a webhook target under `policy`, or null when it may. This is the
 * synchronous part of the guard (no DNS); `checkTarget` adds resolution.
 */
function targetProblem(url: string, policy: TargetPolicy): TargetProblem | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return problem("invalid_url", "The URL is not an absolute URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return problem("invalid_url", "Only http and https URLs can receive webhooks");
  }
  if (parsed.username || parsed.password) {
    return problem("invalid_url", "Credentials in the URL are not allowed; use endpoint headers instead");
  }
  if (policy.selfOrigin !== undefined && isSameServer(parsed, new URL(policy.selfOrigin))) {
    return problem("self_target", `The URL points at this relay itself (${policy.selfOrigin}); give the receiver's own address`);
  }
  if (policy.requireHttps && parsed.protocol !== "https:") {
    return problem("insecure_url", "This deployment requires https targets");
  }
  if (!policy.allowPrivate && parsed.port !== "" && !ALLOWED_PORTS.has(Number(parsed.port))) {
    return problem("blocked_port", `Port ${parsed.port} is not allowed; use ${[...ALLOWED_PORTS].join(", ")} or the scheme's default`);
  }
  return hostProblem(parsed.hostname.replace(/\.$/, ""), policy.allowPrivate);
}

function answerProblem(host: string, answer: DohAnswer): TargetProblem | null {
  switch (answer.kind) {
    case "nxdomain":
      return problem("unresolvable_target", `The hostname ${host} does not exist`);
    case "error":
      return problem("dns_unavailable", `The hostname ${host} could not be resolved right now (${answer.message}); try again later`);
    case "addresses": {
      if (answer.addresses.length === 0) return problem("unresolvable_target", `The hostname ${host} has no A or AAAA records`);
      for (const address of answer.addresses) {
        const reason = blockedAddressReason(address);
        if (reason !== null) {
          return problem("private_target", `The hostname ${host} resolves to ${address}, ${reason ?? "not an IP address"}; only public addresses are allowed here`);
        }
      }
      return null;
    }
  }
}

/**
 * The whole guard: `targetProblem`, then, when private targets are refused and `policy.dohUrl`
 * is set, resolves the hostname through DNS-over-HTTPS and refuses it if ANY A/AAAA answer is a
 * blocked address. Resolution that fails refuses the target too (fail closed).
 */
export async function checkTarget(url: string, policy: TargetPolicy): Promise<TargetProblem | null> {
  const syntactic = targetProblem(url, policy);
  if (syntactic || policy.allowPrivate || !policy.dohUrl) return syntactic;
  const host = new URL(url).hostname.replace(/\.$/, "");
  if (blockedAddressReason(host) !== undefined) return null; // an IP literal, judged above
  return answerProblem(host, await resolveHost(host, policy.dohUrl, DOH_TIMEOUT_MS));
}
