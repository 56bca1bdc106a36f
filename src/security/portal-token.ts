import { fromBase64Url, toBase64Url } from "../lib/base64";
import { hmacSign, hmacVerify } from "./derived-keys";

/** What a portal link grants: one session in one tenant, if used before it expires. */
export interface PortalClaims {
  linkId: string;
  tenantId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A portal token: `ehp_<base64url claims>.<base64url HMAC-SHA256>`, signed with a key derived
 * from MASTER_KEY. The signature lets forged or altered tokens be refused before D1 is asked
 * whether the link is still unused.
 */
export async function signPortalToken(masterKey: string | undefined, claims: PortalClaims): Promise<string> {
  const payload = toBase64Url(encoder.encode(JSON.stringify({ l: claims.linkId, t: claims.tenantId, e: claims.expiresAt })));
  const signature = await hmacSign(masterKey, "portal-link", payload);
  return `ehp_${payload}.${toBase64Url(signature)}`;
}

/** The claims of a well-signed, unexpired token, or null for anything else. */
export async function verifyPortalToken(masterKey: string | undefined, token: string, now: number): Promise<PortalClaims | null> {
  const match = /^ehp_([A-Za-z0-9_-]{1,512})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const [, payload, signature] = match as unknown as [string, string, string];
  if (!(await hmacVerify(masterKey, "portal-link", payload, fromBase64Url(signature)))) return null;
  let claims: { l?: unknown; t?: unknown; e?: unknown };
  try {
    claims = JSON.parse(decoder.decode(fromBase64Url(payload)));
  } catch {
    return null;
  }
  if (typeof claims.l !== "string" || typeof claims.t !== "string" || typeof claims.e !== "number") return null;
  if (claims.e <= now) return null;
  return { linkId: claims.l, tenantId: claims.t, expiresAt: claims.e };
}
