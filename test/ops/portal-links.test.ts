import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApiKey, findApiKey, revokeApiKey } from "../../src/ops/api-keys";
import { createPortalLink, portalLinkClaims, redeemPortalLink } from "../../src/ops/portal-links";
import { createTenant } from "../../src/ops/tenants";

describe("portal link and API key operations used by the dashboard's sign-in", () => {
  it("a portal link opens its tenant's dashboard once, then is refused as used", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Portal tenant" });
    const { token } = await createPortalLink(env, tenantId, 60);
    expect(await redeemPortalLink(env, token)).toEqual({ tenantId });
    expect(await redeemPortalLink(env, token)).toEqual({ refused: "used" });
  });

  it("a forged or expired portal token is refused as invalid", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Portal tenant" });
    const { token, expiresAt } = await createPortalLink(env, tenantId, 60);
    expect(await redeemPortalLink(env, `${token}x`)).toEqual({ refused: "invalid" });
    expect(await redeemPortalLink(env, token, expiresAt + 1)).toEqual({ refused: "invalid" });
  });

  it("checking a portal link's claims does not use it up", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Portal tenant" });
    const { token } = await createPortalLink(env, tenantId, 60);
    expect(await portalLinkClaims(env, token)).toMatchObject({ tenantId });
    expect(await redeemPortalLink(env, token)).toEqual({ tenantId });
  });

  it("an API key's text finds its key and tenant until the key is revoked", async () => {
    const { id: tenantId } = await createTenant(env, { name: "Key tenant" });
    const created = await createApiKey(env, tenantId, "dash");
    expect(await findApiKey(env, created.key)).toEqual({ id: created.id, tenant_id: tenantId });
    await revokeApiKey(env, tenantId, created.id);
    expect(await findApiKey(env, created.key)).toBeNull();
  });
});
