import { readSecretVersion, swapSecretVersion } from "../db/secret-versions";
import { ApiError } from "../errors";
import { wrongKeyKind } from "./guards";
import { generateSigningKey, keyKindOf, publicKeyOf, type KeyKind } from "../security/signing-keys";
import {
  currentKeyKind,
  deleteSecret,
  readSecretSet,
  rotationWouldDropSecret,
  SecretNotVisibleYet,
  writeRotatedSecret,
  type SecretOwner,
  type SecretSet,
} from "../secrets";

/**
 * Secret rotation, serialised per owner.
 *
 * KV has no compare-and-swap: two rotations that read the same set and each wrote their own would
 * keep one new secret, yet both would have been returned with 200 and one would never sign anything.
 * So a rotation first claims the next version of the owner's secret in D1 (a compare-and-set on
 * `secret_version`), and only then writes the KV set, stamped with that version. A rotation builds
 * only on a set whose stamp equals D1's version; any other set is an older one (another rotation's
 * write not visible yet, or a stale KV read), and the rotation waits for the newer one. Losers of a
 * race retry a few times, then answer 409 `conflict`.
 */

/** How many times a rotation tries before answering 409, and how long it waits between tries. */
const ROTATION_TRIES = 10;
const RETRY_WAIT_MS = { min: 20, jitter: 40 };
/**
 * A claim whose KV write has still not shown up after this long is taken to be abandoned (its
 * rotation died between the claim and the write). Longer than KV takes to show a write everywhere
 * (up to 60 s), so a write that is merely not visible yet is never overtaken.
 */
const ABANDONED_CLAIM_MS = 90_000;

const pause = () => new Promise((resolve) => setTimeout(resolve, RETRY_WAIT_MS.min + Math.random() * RETRY_WAIT_MS.jitter));

/**
 * `owner`'s secret set as its latest rotation left it, or null when the owner is not `tenantId`'s.
 * `db` holds the owner's version (as for rotateOwnerSecret). The latest KV key may lag in this
 * location: missing, or still an older set than D1's version names.
 * @throws SecretNotVisibleYet when KV here does not show that set yet (503 with Retry-After)
 */
export async function latestSecretSet(env: Pick<Env, "SECRETS" | "MASTER_KEY">, db: D1Database, tenantId: string, owner: SecretOwner): Promise<SecretSet | null> {
  const version = await readSecretVersion(db, tenantId, owner);
  if (version === null) return null;
  const set = await readSecretSet(env, owner);
  if (!set || (set.version ?? 0) < version) throw new SecretNotVisibleYet(`the ${owner.kind} secret of ${owner.id} is not visible in KV here yet`);
  return set;
}

/** What a rotation does besides replacing the key. */
export interface RotationRequest {
  graceSeconds: number;
  /** The new key, already in stored form (src/ops/guards.ts normalizedKeyInput); a fresh one when absent. */
  secret?: string;
  /** The kind of the new key; by default the kind of the current one (a rotation keeps the scheme). */
  kind?: KeyKind;
  /** An endpoint's signature config switching with the key (a PATCH to another scheme), as JSON text now and before. */
  signature?: { next: string; previous: string };
}

/**
 * Rotates `owner`'s secret (an endpoint of `tenantId`, or the tenant itself): the new key signs
 * from now on and the old one co-signs for `graceSeconds`. `db` is the tenant's data shard, which
 * holds the owner's version (an endpoint's row, or the tenant's mirror row). For an
 * endpoint, the claim of the version also writes the new key's public key (and, for a switch of
 * scheme, the new signature config) into its row, and giving the claim back restores them, so the
 * row and the stored set never tell different stories. Returns the new set, or null when the
 * owner is not the tenant's (or was deleted meanwhile). Throws ApiError 400 when a supplied key is
 * of the wrong kind, 409 `conflict` when other rotations of the same secret kept winning, or when
 * the rotation would push out an earlier secret still in its grace period (a set keeps ten);
 * SecretNotVisibleYet when KV here does not show the owner's set yet (SecretUnavailableError when it
 * cannot be decrypted).
 */
export async function rotateOwnerSecret(
  env: Pick<Env, "SECRETS" | "MASTER_KEY">,
  db: D1Database,
  tenantId: string,
  owner: SecretOwner,
  rotation: RotationRequest,
): Promise<SecretSet | null> {
  for (let attempt = 0; attempt < ROTATION_TRIES; attempt++) {
    if (attempt > 0) await pause();
    const version = await readSecretVersion(db, tenantId, owner);
    if (version === null) return null;
    const existing = await readSecretSet(env, owner);
    if (!existing) throw new SecretNotVisibleYet(`no secret visible for ${owner.kind} ${owner.id} yet`);
    const now = Date.now();
    const settled = (existing.version ?? 0) === version || now - version > ABANDONED_CLAIM_MS;
    // Versions are claim times, so an abandoned claim's age is visible; +1 keeps them increasing.
    const next = Math.max(version + 1, now);
    if (!settled) continue;
    if (rotationWouldDropSecret(existing, rotation.graceSeconds, now)) {
      throw new ApiError(409, "conflict", "Ten earlier secrets still co-sign, the most a secret keeps; wait until one expires, or rotate with grace_period_seconds 0");
    }
    // Decided per try: a concurrent switch of scheme changes which kind a plain rotation keeps.
    const kind = rotation.kind ?? currentKeyKind(existing);
    if (rotation.secret !== undefined && keyKindOf(rotation.secret) !== kind) throw wrongKeyKind(kind);
    const secret = rotation.secret ?? generateSigningKey(kind);
    const claimed = { public_key: await publicKeyOf(secret), signature: rotation.signature?.next };
    if (!(await swapSecretVersion(db, owner, version, next, claimed))) continue;
    let set: SecretSet;
    try {
      set = await writeRotatedSecret(env, owner, existing, { graceSeconds: rotation.graceSeconds, secret, version: next, now });
    } catch (error) {
      // Nothing was written: give the claim back so the next rotation need not wait for it to age.
      await swapSecretVersion(db, owner, next, version, { public_key: await publicKeyOf(existing.current), signature: rotation.signature?.previous });
      throw error;
    }
    // The owner may have been deleted while the set was being written, after its deletion had
    // already removed the old set: remove this one too, or it would outlive its owner in KV.
    if ((await readSecretVersion(db, tenantId, owner)) === null) {
      await deleteSecret(env, owner);
      return null;
    }
    return set;
  }
  throw new ApiError(409, "conflict", "Another rotation of this secret is in progress; try again in a moment");
}
