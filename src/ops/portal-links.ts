import { insertPortalLink } from "../db/portal-links";
import { signPortalToken } from "../security/portal-token";

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
