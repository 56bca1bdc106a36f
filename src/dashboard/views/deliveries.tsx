import type { FC } from "hono/jsx";
import type { DeliveryListEntry, getDeliveryWithAttempts } from "../../db/deliveries";
import { DeliveryStatus } from "../../schemas/messages";
import { shortId } from "../format";
import { Badge, CsrfField, Time } from "./components";
import { Icon } from "./icons";
import { Layout, type PageContext } from "./layout";

/** A `?status=` filter value, or undefined for "all" (and for anything that is not a status). */
export function statusFilter(value: string | undefined): DeliveryStatus | undefined {
  return DeliveryStatus.options.find((s) => s === value);
}

/** A delivery the dashboard shows in full: its state, event and every attempt. */
type DeliveryDetail = NonNullable<Awaited<ReturnType<typeof getDeliveryWithAttempts>>>;

/** Longest part of a receiver's answer shown in the attempts table. */
const EXCERPT_CHARS = 500;

/** A GET form that filters a delivery log by status. */
export const StatusFilter: FC<{ action: string; status: string | undefined; endpointId?: string }> = ({ action, status, endpointId }) => (
  <form class="filters" method="get" action={action} role="search" aria-label="Filter deliveries">
    {endpointId && <input type="hidden" name="endpoint_id" value={endpointId} />}
    <div class="field">
      <label for="status">Status</label>
      <select id="status" name="status">
        <option value="" selected={!status}>
          All statuses
        </option>
        {DeliveryStatus.options.map((s) => (
          <option value={s} selected={s === status}>
            {s}
          </option>
        ))}
      </select>
    </div>
    <button type="submit" class="button">
      Filter
    </button>
  </form>
);

function lastResult(d: DeliveryListEntry): string {
  if (d.last_status_code !== null) return `HTTP ${d.last_status_code}`;
  return d.last_error ?? "—";
}

const ReplayButton: FC<{ page: PageContext; id: string; label: string; small?: boolean }> = ({ page, id, label, small }) => (
  <form method="post" action={`/dashboard/deliveries/${id}/replay`}>
    <CsrfField token={page.csrfToken} />
    <button type="submit" class={small ? "button small" : "button"}>
      <Icon name="replay" />
      {label}
    </button>
  </form>
);

/** A delivery log table; failed and cancelled rows can be replayed in place. */
export const DeliveryTable: FC<{ page: PageContext; deliveries: DeliveryListEntry[]; showEndpoint: boolean }> = ({
  page,
  deliveries,
  showEndpoint,
}) =>
  deliveries.length === 0 ? (
    <p class="empty">No deliveries match.</p>
  ) : (
    <table class="list stacked" data-testid="deliveries">
      <caption class="visually-hidden">Deliveries, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Event</th>
          {showEndpoint && <th scope="col">Endpoint</th>}
          <th scope="col">Status</th>
          <th scope="col" class="num">
            Attempts
          </th>
          <th scope="col">Last result</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr data-delivery-id={d.id} data-status={d.status}>
            <td data-label="Created">
              <a href={`/dashboard/deliveries/${d.id}`} aria-label={`Delivery ${shortId(d.id)}, created ${d.created_at}`}>
                <Time value={d.created_at} />
              </a>
            </td>
            <td data-label="Event">
              <code>{d.event}</code>
            </td>
            {showEndpoint && (
              <td data-label="Endpoint">
                {d.endpoint_id ? (
                  <a href={`/dashboard/endpoints/${d.endpoint_id}`}>{d.endpoint_name ?? shortId(d.endpoint_id)}</a>
                ) : d.url ? (
                  <code title="One-off webhook_url">{d.url}</code>
                ) : (
                  <span class="muted">Deleted endpoint</span>
                )}
              </td>
            )}
            <td data-label="Status">
              <Badge kind={d.status} />
            </td>
            <td data-label="Attempts" class="num">
              {d.attempt_count}
            </td>
            <td data-label="Last result">{lastResult(d)}</td>
            <td class="row-actions">
              <div class="row-buttons">
                {(d.status === "failed" || d.status === "cancelled") && <ReplayButton page={page} id={d.id} label="Replay" small />}
                <a class="button small" href={`/dashboard/deliveries/${d.id}`}>
                  Details
                </a>
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

/** `/dashboard/deliveries`: the tenant's delivery log with status and endpoint filters. */
export const DeliveriesPage: FC<{
  page: PageContext;
  notice: string | null;
  deliveries: DeliveryListEntry[];
  status: string | undefined;
  nextCursor: string | null;
}> = ({ page, notice, deliveries, status, nextCursor }) => (
  <Layout title="Deliveries" page={page} notice={notice}>
    <div class="page-head">
      <h1>Deliveries</h1>
    </div>
    <section class="card table-card">
      <div class="card-head">
        <p class="muted small">Every webhook sent to your endpoints, newest first.</p>
        <StatusFilter action="/dashboard/deliveries" status={status} />
      </div>
      <DeliveryTable page={page} deliveries={deliveries} showEndpoint />
      {nextCursor && (
        <div class="pager">
          <a href={`/dashboard/deliveries?${new URLSearchParams({ ...(status ? { status } : {}), cursor: nextCursor })}`}>
            Older deliveries →
          </a>
        </div>
      )}
    </section>
  </Layout>
);

function attemptResult(a: DeliveryDetail["attempts"][number]): string {
  if (a.status_code !== null) return `HTTP ${a.status_code}`;
  return a.error_kind ?? "error";
}

/** `/dashboard/deliveries/{id}`: one delivery, each attempt, and replay. */
export const DeliveryPage: FC<{ page: PageContext; notice: string | null; delivery: DeliveryDetail; endpointName: string | null }> = ({
  page,
  notice,
  delivery,
  endpointName,
}) => (
  <Layout title={`Delivery ${shortId(delivery.id)}`} page={page} notice={notice}>
    <p class="crumbs">
      <a href="/dashboard/deliveries">Deliveries</a> / {shortId(delivery.id)}
    </p>
    <div class="page-head">
      <div class="title">
        <h1>
          Delivery of <code>{delivery.event}</code>
        </h1>
        <Badge kind={delivery.status} />
      </div>
      <div class="actions">
        <ReplayButton page={page} id={delivery.id} label="Replay delivery" />
      </div>
    </div>
    <section class="card" aria-labelledby="delivery-title">
      <h2 id="delivery-title">Details</h2>
      <dl class="details">
        <dt>Delivery id</dt>
        <dd>
          <code>{delivery.id}</code>
        </dd>
        <dt>Message id</dt>
        <dd>
          <code>{delivery.message_id}</code>
        </dd>
        <dt>Endpoint</dt>
        <dd>
          {delivery.endpoint_id ? (
            endpointName === null ? (
              <span class="muted">Deleted endpoint</span>
            ) : (
              <a href={`/dashboard/endpoints/${delivery.endpoint_id}`}>{endpointName}</a>
            )
          ) : (
            <code>{delivery.url}</code>
          )}
        </dd>
        <dt>Created</dt>
        <dd>
          <Time value={delivery.created_at} />
        </dd>
        {delivery.next_attempt_at && (
          <>
            <dt>Next attempt</dt>
            <dd>
              <Time value={delivery.next_attempt_at} />
            </dd>
          </>
        )}
      </dl>
    </section>
    <section class="card table-card" aria-labelledby="attempts-title">
      <div class="card-head">
        <h2 id="attempts-title">Attempts ({delivery.attempts.length})</h2>
      </div>
      {delivery.attempts.length === 0 ? (
        <p class="empty">No attempt yet: it is queued.</p>
      ) : (
        <table class="list stacked" data-testid="attempts">
          <caption class="visually-hidden">Attempts, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Result</th>
              <th scope="col" class="num">
                Duration
              </th>
              <th scope="col">Response</th>
            </tr>
          </thead>
          <tbody>
            {delivery.attempts.map((a) => (
              <tr data-outcome={a.outcome}>
                <td data-label="Attempt">{a.attempt}</td>
                <td data-label="Time">
                  <Time value={a.created_at} />
                </td>
                <td data-label="Result">
                  <Badge kind={a.outcome} label={attemptResult(a)} />
                </td>
                <td data-label="Duration" class="num">
                  {a.duration_ms} ms
                </td>
                <td data-label="Response">
                  {a.response_body || a.error ? (
                    <pre class="excerpt">{(a.response_body || a.error || "").slice(0, EXCERPT_CHARS)}</pre>
                  ) : (
                    <span class="muted">Empty</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </Layout>
);
