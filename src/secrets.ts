import type { z } from "zod";
import { IsolateCache, type ReadTicket } from "./lib/isolate-cache";
import type { SecretResponse } from "./schemas/endpoints";
import { open, seal, SecretUnavailableError } from "./security/secret-envelope";
import { generateSigningKey, keyKindOf, publicKeyOf, type KeyKind } from "./security/signing-keys";

/**
 * Signing secrets, stored in KV and never in D1.
 *
 * KV key scheme (every prefix Edgehook writes):
 *   secret:endpoint:{endpoint_id}       the endpoint's latest secret set (the API and rotations read it)
 *   secret:endpoint:{endpoint_id}:v{n}  the set stamped with version n (> 0): deliveries read exactly
 *                                       the key their endpoint row's `secret_version` names
 *   secret:tenant:{tenant_id}           the tenant's latest secret set, which signs one-off `webhook_url` deliveries
 *   secret:tenant:{tenant_id}:v{n}      its set of version n, named by the tenant's mirror row on its data shard
 *
 * Why versioned keys: KV shows a write in other locations only after up to 60 s (SCALING.md), so a
 * location reading `secret:endpoint:{id}` after a rotation could sign with the old secret. A
 * versioned key is written once and never changed, and D1 (read per batch) names it: a location
 * either reads exactly the set the row names, or nothing yet (the delivery waits, src/delivery/attempt.ts),
 * never a stale one. Version 0 is the unversioned key: an endpoint's until its first rotation (its
 * id is new, so no older value can show), and a tenant's only if it predates tenant versions. A
 * tenant's id can be chosen and so reused after a deletion: its secret is versioned from creation.
 *
 * Each value is a JSON `SecretSet` in an AES-GCM envelope under MASTER_KEY
 * (src/security/secret-envelope.ts), bound to its KV key.
 */

export { SecretUnavailableError };

/** Whose secret set a KV entry holds. */
export type SecretOwner = { kind: "endpoint" | "tenant"; id: string };

/** The one version of an owner's set that a delivery signs with: `version` is its row's `secret_version`. */
export type VersionedOwner = SecretOwner & { version: number };

/**
 * The current secret and the earlier ones still co-signing until they expire. Each is a signing
 * key of either kind (src/security/signing-keys.ts): `whsec_…` or, for ed25519 endpoints, `whsk_…`;
 * a switch of scheme between the kinds leaves keys of the old kind co-signing for a while.
 */
export interface SecretSet {
  current: string;
  previous: Array<{ secret: string; expires_at: number }>;
  /** The rotation that wrote this set (src/secret-rotation.ts); absent until the first rotation. */
  version?: number;
}

/**
 * The secret set D1 says an owner has is not visible in this location's KV yet: KV shows a write
 * elsewhere "up to 60 seconds or more" later (developers.cloudflare.com/kv/concepts/how-kv-works/).
 * Nothing is wrong with the request, so the API answers 503 with Retry-After (src/platform-errors.ts).
 */
export class SecretNotVisibleYet extends Error {
  override name = "SecretNotVisibleYet";
}

/** Most earlier secrets kept co-signing after rotations. */
const MAX_PREVIOUS_SECRETS = 10;
/** How long a decrypted secret set is reused in this isolate before KV is read again (ms). */
const CACHE_TTL_MS = 30_000;
/** Most decrypted secret sets one isolate keeps (one per endpoint or tenant a consumer batch signs for). */
const CACHE_LIMIT = 10_000;

/** The KV key of an owner's latest secret set, or with `version` > 0 of its set of that version. */
function secretKvKey(owner: SecretOwner, version = 0): string {
  const base = `secret:${owner.kind}:${owner.id}`;
  return version > 0 ? `${base}:v${version}` : base;
}

/** The secrets that sign right now: the current one first, then unexpired previous ones. */
export function activeSecrets(set: SecretSet, now = Date.now()): string[] {
  return [set.current, ...set.previous.filter((p) => p.expires_at > now).map((p) => p.secret)];
}

const cache = new IsolateCache<string, SecretSet>({ ttlMs: CACHE_TTL_MS, maxEntries: CACHE_LIMIT });

type SecretEnv = Pick<Env, "SECRETS" | "MASTER_KEY">;

/**
 * Forgets every secret set decrypted in this isolate, so the next read goes to KV and decrypts
 * again. A deployment never needs it (a new MASTER_KEY arrives with a new isolate); tests use it
 * to see what the delivery path does with a stored value that no longer decrypts.
 */
export function forgetCachedSecrets(): void {
  cache.clear();
}

/**
 * Caches a decrypted set for this isolate, unless a newer version is already cached (concurrent
 * rotations may finish their KV writes in a different order than they claimed their versions; the
 * versions also keep a read that a rotation overtook from replacing the rotated set) or a delete in
 * this isolate overtook the read that found it.
 */
function remember(kvKey: string, set: SecretSet, read?: ReadTicket): void {
  const hit = cache.get(kvKey);
  if (hit && (hit.version ?? 0) > (set.version ?? 0)) return;
  cache.set(kvKey, set, { read });
}

/** Encrypts and stores an owner's secret set under its latest key, or with `version` under that version's key. */
async function writeSecretSet(env: SecretEnv, owner: SecretOwner, set: SecretSet, version = 0): Promise<void> {
  const kvKey = secretKvKey(owner, version);
  await env.SECRETS.put(kvKey, await seal(env.MASTER_KEY, kvKey, set));
  remember(kvKey, set);
}

/**
 * Reads and decrypts an owner's latest secret set, or null when none is stored (or, for a
 * VersionedOwner, the set of exactly that version, null while it is not visible here yet). With
 * `cached`, a set decrypted in this isolate within the last 30 s is reused (the delivery hot path);
 * a versioned key never changes, so its cached copy is never stale.
 */
export async function readSecretSet(
  env: SecretEnv,
  owner: SecretOwner | VersionedOwner,
  options: { cached?: boolean } = {},
): Promise<SecretSet | null> {
  const kvKey = secretKvKey(owner, "version" in owner ? owner.version : 0);
  const hit = options.cached ? cache.get(kvKey) : undefined;
  if (hit) return hit;
  const read = cache.readStarts();
  const stored = await env.SECRETS.get(kvKey);
  if (stored === null) return null;
  const set = (await open(env.MASTER_KEY, kvKey, stored)) as SecretSet;
  remember(kvKey, set, read);
  return set;
}

/**
 * Creates an owner's first secret (the given one, or a fresh key of `kind`) and returns it. With
 * `version` > 0 (the version the owner's row will name) the set is stamped with it and stored under
 * that version's key too, before the latest key.
 */
export async function createSecret(env: SecretEnv, owner: SecretOwner, secret?: string, kind: KeyKind = "hmac", version = 0): Promise<string> {
  const current = secret ?? generateSigningKey(kind);
  const set: SecretSet = version > 0 ? { current, previous: [], version } : { current, previous: [] };
  if (version > 0) await writeSecretSet(env, owner, set, version);
  await writeSecretSet(env, owner, set);
  return current;
}

/** The earlier secrets that co-sign after rotating `existing`: its current one for `graceSeconds` (none for 0), then its unexpired previous ones. */
function previousAfterRotation(existing: SecretSet, graceSeconds: number, now: number): SecretSet["previous"] {
  return [
    ...(graceSeconds > 0 ? [{ secret: existing.current, expires_at: now + graceSeconds * 1000 }] : []),
    ...existing.previous.filter((p) => p.expires_at > now),
  ];
}

/**
 * Whether rotating `existing` at `now` (epoch ms) would push a secret out of the set before its grace
 * period ends: a set keeps at most MAX_PREVIOUS_SECRETS earlier secrets, and every secret a rotation
 * returned must keep signing until it expires.
 */
export function rotationWouldDropSecret(existing: SecretSet, graceSeconds: number, now: number): boolean {
  return previousAfterRotation(existing, graceSeconds, now).length > MAX_PREVIOUS_SECRETS;
}

/**
 * Stores the set that replaces `existing` in a rotation, stamped with `version`, with `secret` as
 * its current key. Callers go through src/ops/secret-rotation.ts, which serialises rotations so
 * that `existing` is the latest set. The old
 * current secret keeps co-signing for `graceSeconds` (0 drops it at once); expired entries are
 * dropped and at most MAX_PREVIOUS_SECRETS are kept (the caller refuses a rotation that would need
 * more, see rotationWouldDropSecret).
 */
export async function writeRotatedSecret(
  env: SecretEnv,
  owner: SecretOwner,
  existing: SecretSet,
  rotation: { graceSeconds: number; version: number; secret: string; now: number },
): Promise<SecretSet> {
  const { graceSeconds, version, secret, now } = rotation;
  const previous = previousAfterRotation(existing, graceSeconds, now).slice(0, MAX_PREVIOUS_SECRETS);
  const set = { current: secret, previous, version };
  // The versioned key first: once the latest key shows this set, deliveries can already find it.
  await writeSecretSet(env, owner, set, version);
  await writeSecretSet(env, owner, set);
  // The set this one replaces is named by no row any more (best effort: an orphan only costs storage).
  if ((existing.version ?? 0) > 0) await env.SECRETS.delete(secretKvKey(owner, existing.version)).catch(() => {});
  return set;
}

/**
 * A secret set as the API shows it. An HMAC secret is shown as it is (receivers need it to verify);
 * an Ed25519 private key never is: its `whpk_` public key stands in for it as `secret` and is also
 * `public_key`, because receivers verify with that alone and the point of the scheme is that
 * nobody but the relay can sign (not a leaked API key, not a dashboard session). Earlier keys
 * show only their expiry, plus the public key of an Ed25519 one (receivers may trust it until then).
 */
export async function secretView(set: SecretSet, now = Date.now()): Promise<z.infer<typeof SecretResponse>> {
  const currentPublic = await publicKeyOf(set.current);
  const previous = await Promise.all(
    set.previous
      .filter((p) => p.expires_at > now)
      .map(async (p) => {
        const publicKey = await publicKeyOf(p.secret);
        return { expires_at: new Date(p.expires_at).toISOString(), ...(publicKey ? { public_key: publicKey } : {}) };
      }),
  );
  return currentPublic ? { secret: currentPublic, public_key: currentPublic, previous } : { secret: set.current, previous };
}

/** The kind of key that signs for a set right now (its current key's). */
export function currentKeyKind(set: SecretSet): KeyKind {
  return keyKindOf(set.current);
}

/**
 * Deletes an owner's secret set, and the versioned key its latest set names. When the read of that
 * version fails the versioned key is left behind; with `versionRequired` the read's error is thrown
 * instead and nothing is deleted, so a caller that keeps the owner queued until its secret is gone
 * (src/ops/secret-purges.ts) tries again. A set that no longer decrypts (SecretUnavailableError)
 * names no version either way: its latest key is deleted.
 * @throws Error when KV fails (a read, with `versionRequired`, or a delete)
 */
export async function deleteSecret(env: SecretEnv, owner: SecretOwner, options: { versionRequired?: boolean } = {}): Promise<void> {
  const kvKey = secretKvKey(owner);
  const unreadable = (error: unknown) => {
    if (options.versionRequired && !(error instanceof SecretUnavailableError)) throw error;
    return null;
  };
  const version = (await readSecretSet(env, owner).catch(unreadable))?.version ?? 0;
  cache.forget(kvKey);
  await env.SECRETS.delete(kvKey);
  if (version > 0) await env.SECRETS.delete(secretKvKey(owner, version));
}
