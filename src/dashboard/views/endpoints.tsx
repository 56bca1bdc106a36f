import type { FC } from "hono/jsx";
import type { DeliveryListEntry } from "../../db/deliveries";
import type { DeliveryOutcomes, HourlyDeliveries } from "../../db/delivery-stats";
import type { Endpoint } from "../../schemas/endpoints";
import { formatSeconds, shortId, successRate } from "../format";
import { DeliveryChart } from "./chart";
import { Badge, BreakableUrl, CopyButton, CsrfField, Notice, Time } from "./components";
import { DeliveryTable, StatusFilter } from "./deliveries";
import { Icon } from "./icons";
import { Layout, type PageContext } from "./layout";

/** How an endpoint is named on screen. */
export function endpointTitle(endpoint: Pick<Endpoint, "name">): string {
  return endpoint.name ?? "Unnamed endpoint";
}

const Events: FC<{ events: string[] }> = ({ events }) =>
  events.length === 0 ? (
    <span class="muted">All events</span>
  ) : (
    <span class="chips">
      {events.map((e) => (
        <span class="chip">{e}</span>
      ))}
    </span>
  );

const SuccessRate: FC<{ outcomes: DeliveryOutcomes | undefined }> = ({ outcomes }) => {
  const rate = successRate(outcomes);
  if (!rate) return <span class="muted">No deliveries</span>;
  return (
    <span class="rate">
      <strong>{rate.percent}</strong> <span class="muted small">{rate.counts}</span>
    </span>
  );
};

const EnabledBadge: FC<{ endpoint: Endpoint }> = ({ endpoint }) =>
  endpoint.enabled ? <Badge kind="enabled" label="Enabled" /> : <Badge kind="disabled" label="Disabled" />;

/** `/dashboard`: the tenant's endpoints with their recent success rate, and 24 h of activity. */
export const EndpointsPage: FC<{
  page: PageContext;
  notice: string | null;
  endpoints: Endpoint[];
  outcomes: Map<string, DeliveryOutcomes>;
  hours: HourlyDeliveries[];
  nextCursor: string | null;
}> = ({ page, notice, endpoints, outcomes, hours, nextCursor }) => (
  <Layout title="Endpoints" page={page} notice={notice}>
    <div class="page-head">
      <h1>Endpoints</h1>
      <a class="button primary" href="/dashboard/endpoints/new">
        <Icon name="plus" />
        Add endpoint
      </a>
    </div>
    <section class="card" aria-labelledby="activity-title">
      <h2 id="activity-title">Last 24 hours</h2>
      <DeliveryChart hours={hours} id="tenant-chart" />
    </section>
    {endpoints.length === 0 ? (
      <section class="card empty">
        <p>No endpoints yet. Add one to start receiving webhooks.</p>
        <a class="button primary" href="/dashboard/endpoints/new">
          <Icon name="plus" />
          Add endpoint
        </a>
      </section>
    ) : (
      <section class="card table-card">
        <table class="list stacked" data-testid="endpoints">
          <caption class="visually-hidden">Endpoints</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Source</th>
              <th scope="col">Status</th>
              <th scope="col">Success (24 h)</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((endpoint) => {
              const title = endpointTitle(endpoint);
              return (
                <tr data-endpoint-id={endpoint.id}>
                  <td data-label="Name">
                    <div>
                      <a class="endpoint-name" href={`/dashboard/endpoints/${endpoint.id}`}>
                        {title}
                      </a>
                      <div class="id small">
                        <code title={endpoint.id}>{shortId(endpoint.id)}…</code>
                        <CopyButton label={`Copy the id of ${title}`} value={endpoint.id} copied="Endpoint id copied" testId="copy-id" />
                      </div>
                    </div>
                  </td>
                  <td data-label="URL" class="url">
                    <BreakableUrl url={endpoint.url} />
                  </td>
                  <td data-label="Events">
                    <Events events={endpoint.events} />
                  </td>
                  <td data-label="Source" class="source">
                    {endpoint.source ? <code>{endpoint.source}</code> : <span class="muted">All sources</span>}
                  </td>
                  <td data-label="Status">
                    <EnabledBadge endpoint={endpoint} />
                  </td>
                  <td data-label="Success (24 h)">
                    <SuccessRate outcomes={outcomes.get(endpoint.id)} />
                  </td>
                  <td class="row-actions">
                    <div class="row-buttons">
                      <a class="icon-button" href={`/dashboard/endpoints/${endpoint.id}/edit`} aria-label={`Edit ${title}`} title="Edit">
                        <Icon name="pencil" />
                      </a>
                      <a class="icon-button danger" href={`/dashboard/endpoints/${endpoint.id}/delete`} aria-label={`Delete ${title}`} title="Delete">
                        <Icon name="trash" />
                      </a>
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {nextCursor && (
          <div class="pager">
            <a href={`/dashboard?cursor=${encodeURIComponent(nextCursor)}`}>More endpoints →</a>
          </div>
        )}
      </section>
    )}
  </Layout>
);

/** The choices offered when regenerating a secret: how long the old one keeps co-signing. */
const GRACE_PERIODS = [
  { seconds: 0, label: "Stop signing with the old secret now" },
  { seconds: 3600, label: "Keep the old secret for 1 hour" },
  { seconds: 86_400, label: "Keep the old secret for 24 hours" },
  { seconds: 604_800, label: "Keep the old secret for 7 days" },
] as const;

const SecretCard: FC<{ page: PageContext; endpoint: Endpoint; secret: string | null; previousUntil: string[] }> = ({
  page,
  endpoint,
  secret,
  previousUntil,
}) => (
  <section class="card" id="secret" aria-labelledby="secret-title">
    <h2 id="secret-title">Signing secret</h2>
    <p class="muted small">
      Use it to verify that webhooks come from us ({endpoint.signature.scheme === "standard" ? "Standard Webhooks signatures" : `HMAC-SHA256 in ${endpoint.signature.header ?? "X-Webhook-Signature"}`}).
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

function retryText(endpoint: Endpoint): string {
  const { max_attempts, schedule } = endpoint.retry;
  const parts = [
    max_attempts === undefined ? "default attempts" : `${max_attempts} ${max_attempts === 1 ? "attempt" : "attempts"}`,
    schedule ? `waits ${schedule.map(formatSeconds).join(", ")}` : "default schedule",
  ];
  return parts.join(", ");
}

/** `/dashboard/endpoints/{id}`: settings, secret, test event, 24 h activity and its delivery log. */
export const EndpointPage: FC<{
  page: PageContext;
  notice: string | null;
  endpoint: Endpoint;
  secret: string | null;
  previousUntil: string[];
  hours: HourlyDeliveries[];
  deliveries: DeliveryListEntry[];
  status: string | undefined;
  nextCursor: string | null;
}> = ({ page, notice, endpoint, secret, previousUntil, hours, deliveries, status, nextCursor }) => {
  const title = endpointTitle(endpoint);
  const base = `/dashboard/endpoints/${endpoint.id}`;
  return (
    <Layout title={title} page={page} notice={notice}>
      <p class="crumbs">
        <a href="/dashboard">Endpoints</a> / {title}
      </p>
      <div class="page-head">
        <div class="title">
          <h1>{title}</h1>
          <EnabledBadge endpoint={endpoint} />
        </div>
        <div class="actions">
          <form method="post" action={`${base}/test`}>
            <CsrfField token={page.csrfToken} />
            <button type="submit" class="button primary">
              <Icon name="send" />
              Send test event
            </button>
          </form>
          <a class="button" href={`${base}/edit`}>
            <Icon name="pencil" />
            Edit
          </a>
          <a class="button danger" href={`${base}/delete`}>
            <Icon name="trash" />
            Delete
          </a>
        </div>
      </div>
      {!endpoint.enabled && endpoint.disabled_reason && (
        <Notice kind="error" quiet>
          Disabled: {endpoint.disabled_reason}. Deliveries are not sent until you enable it again.
        </Notice>
      )}
      <section class="card" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <dl class="details">
          <dt>Endpoint id</dt>
          <dd>
            <span class="id">
              <code data-testid="endpoint-id">{endpoint.id}</code>
              <CopyButton label="Copy endpoint id" value={endpoint.id} copied="Endpoint id copied" testId="copy-id" />
            </span>
          </dd>
          <dt>URL</dt>
          <dd>
            <code>{endpoint.url}</code>
          </dd>
          {endpoint.description && (
            <>
              <dt>Description</dt>
              <dd>{endpoint.description}</dd>
            </>
          )}
          <dt>Events</dt>
          <dd>
            <Events events={endpoint.events} />
          </dd>
          <dt>Source</dt>
          <dd>{endpoint.source ? <code>{endpoint.source}</code> : <span class="muted">All sources</span>}</dd>
          <dt>Retries</dt>
          <dd>{retryText(endpoint)}</dd>
          <dt>Timeout</dt>
          <dd>{endpoint.timeout_ms} ms</dd>
          {Object.keys(endpoint.headers).length > 0 && (
            <>
              <dt>Custom headers</dt>
              <dd>
                <span class="chips">
                  {Object.keys(endpoint.headers).map((h) => (
                    <span class="chip">{h}</span>
                  ))}
                </span>
              </dd>
            </>
          )}
          <dt>Created</dt>
          <dd>
            <Time value={endpoint.created_at} />
          </dd>
        </dl>
      </section>
      <SecretCard page={page} endpoint={endpoint} secret={secret} previousUntil={previousUntil} />
      <section class="card" aria-labelledby="endpoint-activity-title">
        <h2 id="endpoint-activity-title">Last 24 hours</h2>
        <DeliveryChart hours={hours} id="endpoint-chart" />
      </section>
      <section class="card table-card" id="deliveries" aria-labelledby="deliveries-title">
        <div class="card-head">
          <h2 id="deliveries-title">Deliveries</h2>
          <StatusFilter action={`${base}#deliveries`} status={status} />
        </div>
        <DeliveryTable page={page} deliveries={deliveries} showEndpoint={false} />
        {nextCursor && (
          <div class="pager">
            <a href={`${base}?${new URLSearchParams({ ...(status ? { status } : {}), cursor: nextCursor })}#deliveries`}>Older deliveries →</a>
          </div>
        )}
      </section>
    </Layout>
  );
};
