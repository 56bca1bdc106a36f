import type { FC } from "hono/jsx";
import { DEFAULT_HMAC_HEADER } from "../../limits";
import type { Endpoint } from "../../schemas/endpoints";
import { CopyButton, CsrfField, Time } from "./components";
import { Icon } from "./icons";
import type { PageContext } from "./layout";

/** The choices offered when regenerating a key: how long the old one keeps co-signing. */
function gracePeriods(noun: string) {
  return [
    { seconds: 0, label: `Stop signing with the old ${noun} now` },
    { seconds: 3600, label: `Keep the old ${noun} for 1 hour` },
    { seconds: 86_400, label: `Keep the old ${noun} for 24 hours` },
    { seconds: 604_800, label: `Keep the old ${noun} for 7 days` },
  ];
}

const RotateForm: FC<{ page: PageContext; endpoint: Endpoint; noun: string }> = ({ page, endpoint, noun }) => (
  <form class="rotate" method="post" action={`/dashboard/endpoints/${endpoint.id}/secret/rotate`}>
    <CsrfField token={page.csrfToken} />
    <div class="field">
      <label for="grace_period_seconds">After regenerating</label>
      <select id="grace_period_seconds" name="grace_period_seconds">
        {gracePeriods(noun).map((g) => (
          <option value={String(g.seconds)} selected={g.seconds === 86_400}>
            {g.label}
          </option>
        ))}
      </select>
    </div>
    <button type="submit" class="button">
      <Icon name="refresh" />
      Regenerate {noun}
    </button>
  </form>
);

const PreviousKeys: FC<{ previousUntil: string[]; noun: string }> = ({ previousUntil, noun }) =>
  previousUntil.length > 0 ? (
    <p class="small muted">
      {previousUntil.length === 1 ? `The previous ${noun} still co-signs` : `${previousUntil.length} previous ${noun}s still co-sign`} until{" "}
      <Time value={previousUntil[previousUntil.length - 1]!} />.
    </p>
  ) : null;

/**
 * An ed25519 endpoint's public key: shown openly (it is not a secret), with copy and regenerate.
 * The private key stays in the relay and is never shown.
 */
const PublicKeyCard: FC<{ page: PageContext; endpoint: Endpoint; publicKey: string | null; previousUntil: string[] }> = ({
  page,
  endpoint,
  publicKey,
  previousUntil,
}) => (
  <section class="card" id="secret" aria-labelledby="secret-title">
    <h2 id="secret-title">Public key</h2>
    <p class="muted small">
      Verify that webhooks come from us with this Ed25519 public key (Standard Webhooks <code>v1a</code> signatures). It is not a secret: give it to
      everyone who receives these webhooks. The private key that signs stays with us and is never shown, so nobody holding the public key can forge
      a webhook.
    </p>
    <div class="secret-row">
      <code class="secret-value" data-testid="public-key">
        {publicKey ?? "(not available)"}
      </code>
      {publicKey && <CopyButton label="Copy public key" value={publicKey} copied="Public key copied" testId="copy-public-key" />}
    </div>
    <PreviousKeys previousUntil={previousUntil} noun="key" />
    <RotateForm page={page} endpoint={endpoint} noun="key" />
  </section>
);

/** An endpoint's signing secret: hidden or shown, copy, and regenerate with a grace period; for ed25519 its public key. */
export const SecretCard: FC<{ page: PageContext; endpoint: Endpoint; secret: string | null; publicKey: string | null; previousUntil: string[] }> = ({
  page,
  endpoint,
  secret,
  publicKey,
  previousUntil,
}) =>
  endpoint.signature.scheme === "ed25519" ? (
    <PublicKeyCard page={page} endpoint={endpoint} publicKey={publicKey} previousUntil={previousUntil} />
  ) : (
    <section class="card" id="secret" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p class="muted small">
        Use it to verify that webhooks come from us (
        {endpoint.signature.scheme === "standard" ? "Standard Webhooks signatures" : `HMAC-SHA256 in ${endpoint.signature.header ?? DEFAULT_HMAC_HEADER}`}).
      </p>
      <div class="secret-row">
        {secret ? (
          <code class="secret-value" data-testid="secret-value">
            {secret}
          </code>
        ) : (
          <code class="secret-value" data-testid="secret-value" aria-label="Secret hidden">
            whsec_••••••••••••••••••••••••
          </code>
        )}
        {secret ? (
          <a class="icon-button" href={`/dashboard/endpoints/${endpoint.id}#secret`} aria-label="Hide secret" title="Hide secret">
            <Icon name="eyeOff" />
          </a>
        ) : (
          <a class="icon-button" href={`/dashboard/endpoints/${endpoint.id}?secret=shown#secret`} aria-label="Reveal secret" title="Reveal secret">
            <Icon name="eye" />
          </a>
        )}
        <CopyButton label="Copy secret" url={`/dashboard/endpoints/${endpoint.id}/secret`} copied="Secret copied" testId="copy-secret" />
      </div>
      <PreviousKeys previousUntil={previousUntil} noun="secret" />
      <RotateForm page={page} endpoint={endpoint} noun="secret" />
    </section>
  );
