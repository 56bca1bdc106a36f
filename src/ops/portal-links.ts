import { consumePortalLink, insertPortalLink } from "../db/portal-links";
import { signPortalToken, verifyPortalToken, type PortalClaims } from "../security/portal-token";

/**
 * Creates a one-time link into the tenant's dashboard that expires after `ttlSeconds`: the link is
 * recorded (so it can be used once) and its token signed. Returns the token and its expiry (epoch ms).
 */
export async function createPortalLink(
  env: Env,
  tenantId: string,
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ token: string; expiresAt: number }> {
  const link = { id: crypto.randomUUID(), tenantId, now, expiresAt: now + ttlSeconds * 1000 };
  await insertPortalLink(env.DB, link);
  const token = await signPortalToken(env.MASTER_KEY, { linkId: link.id, tenantId, expiresAt: link.expiresAt });
  return { token, expiresAt: link.expiresAt };
}

/** A portal link's claims when its token is genuine and unexpired at `now` (epoch ms), else null; the link stays unused. */
export function portalLinkClaims(env: Env, token: string, now = Date.now()): Promise<PortalClaims | null> {
  return verifyPortalToken(env.MASTER_KEY, token, now);
}

/**
 * Uses a portal link, once: the tenant whose dashboard it opens, or why it cannot open it
 * (`invalid`: forged or expired token; `used`: opened before).
 */
export async function redeemPortalLink(
  env: Env,
  token: string,
  now = Date.now(),
): Promise<{ tenantId: string } | { refused: "invalid" | "used" }> {
  const claims = await portalLinkClaims(env, token, now);
  if (!claims) return { refused: "invalid" };
  if (!(await consumePortalLink(env.DB, { id: claims.linkId, tenantId: claims.tenantId, now }))) return { refused: "used" };
  return { tenantId: claims.tenantId };
}
