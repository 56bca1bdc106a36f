import { inject } from "vitest";
import { DEV_ADMIN_TOKEN } from "../../../scripts/local-relay";

/** The relay the node project's files share: its origin and admin token. */
export interface SharedRelay {
  url: string;
  adminToken: string;
}

/**
 * The relay started once per run by the node project's global setup (./relay-setup.ts), once it
 * answers. Tests on it make their own tenants and read only those: other files use it too.
 * @throws Error with wrangler's output when it did not start
 */
export async function sharedRelay(): Promise<SharedRelay> {
  const res = await fetch(inject("sharedRelayBroker"), { signal: AbortSignal.timeout(290_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`the shared relay did not start: ${text}`);
  return { url: text, adminToken: DEV_ADMIN_TOKEN };
}
