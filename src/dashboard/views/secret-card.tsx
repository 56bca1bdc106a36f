import type { FC } from "hono/jsx";
import { DEFAULT_HMAC_HEADER } from "../../delivery/signing";
import type { Endpoint } from "../../schemas/endpoints";
import { CopyButton, CsrfField, Time } from "./components";
import { Icon } from "./icons";
import type { PageContext } from "./layout";

/** The choices offered when regenerating a secret: how long the old one keeps co-signing. */
const GRACE_PERIODS = [
  { seconds: 0, label: "Stop signing with the old secret now" },
  { seconds: 3600, label: "Keep the old secret for 1 hour" },
  { seconds: 86_400, label: "Keep the old secret for 24 hours" },
  { seconds: 604_800, label: "Keep the old secret for 7 days" },
] as const;

/** An endpoint's signing secret: hidden or shown, copy, and regenerate with a grace period. */
export const SecretCard: FC<{ page: PageContext; endpoint: Endpoint; secret: string | null; previousUntil: string[] }> = ({
  page,
  endpoint,
  secret,
  previousUntil,
}) => (
  <section class="card" id="secret" aria-labelledby="secret-title">
    <h2 id="secret-title">Signing secret</h2>
    <p class="muted small">
      Use it to verify that webhooks come from us ({endpoint.signature.scheme === "standard" ? "Standard Webhooks signatures" : `HMAC-SHA256 in ${endpoint.signature.header ?? DEFAULT_HMAC_HEADER}`}).
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
    {previousUntil.length > 0 && (
      <p class="small muted">
        {previousUntil.length === 1 ? "The previous secret" : `${previousUntil.length} previous secrets`} still co-sign until{" "}
        <Time value={previousUntil[previousUntil.length - 1]!} />.
      </p>
    )}
    <form class="rotate" method="post" action={`/dashboard/endpoints/${endpoint.id}/secret/rotate`}>
      <CsrfField token={page.csrfToken} />
      <div class="field">
        <label for="grace_period_seconds">After regenerating</label>
        <select id="grace_period_seconds" name="grace_period_seconds">
          {GRACE_PERIODS.map((g) => (
            <option value={String(g.seconds)} selected={g.seconds === 86_400}>
              {g.label}
            </option>
          ))}
        </select>
      </div>
      <button type="submit" class="button">
        <Icon name="refresh" />
        Regenerate secret
      </button>
    </form>
  </section>
);
