import type { FC } from "hono/jsx";
import type { DeliveryListEntry } from "../../db/deliveries";
import { DeliveryStatus } from "../../schemas/messages";
import { shortId } from "../format";
import { ActionsHeading, Badge, CsrfField, Pager, RowActions, Time } from "./components";
import { Icon } from "./icons";
import { Layout, type PageContext } from "./layout";

/** A `?status=` filter value, or undefined for "all" (and for anything that is not a status). */
export function statusFilter(value: string | undefined): DeliveryStatus | undefined {
  return DeliveryStatus.options.find((s) => s === value);
}

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

/** Whether a delivery is still in flight, so a page showing it refreshes itself. */
export const inFlight = (status: string) => status === "pending" || status === "retrying";

/** Seconds between refreshes of a page that shows a delivery in flight. */
export const REFRESH_SECONDS = 5;

/** A delivery's last result in a list: the receiver's status code, else the error, else a dash. */
export function lastResult(d: Pick<DeliveryListEntry, "last_status_code" | "last_error">): string {
  if (d.last_status_code !== null) return `HTTP ${d.last_status_code}`;
  return d.last_error ?? "—";
}

/** A form button that replays one delivery; `stay` brings the visitor back to this page (a list) rather than to the delivery. */
export const ReplayButton: FC<{ page: PageContext; id: string; label: string; small?: boolean; stay?: boolean }> = ({ page, id, label, small, stay }) => (
  <form method="post" action={`/dashboard/deliveries/${id}/replay`}>
    <CsrfField token={page.csrfToken} />
    {stay && <input type="hidden" name="return_to" value={page.location} />}
    <button type="submit" class={small ? "button small" : "button"}>
      <Icon name="replay" />
      {label}
    </button>
  </form>
);

/** Whether a delivery has had no attempt yet, so cancelling its message would stop it. */
export const cancellable = (d: { status: string; attempt_count: number }) => (d.status === "scheduled" || d.status === "pending") && d.attempt_count === 0;

/** A form button that cancels a message's deliveries not attempted yet (`POST …/messages/{id}/cancel`); `stay` comes back to this page. */
export const CancelMessageButton: FC<{ page: PageContext; messageId: string; label: string; small?: boolean; stay?: boolean }> = ({
  page,
  messageId,
  label,
  small,
  stay,
}) => (
  <form method="post" action={`/dashboard/messages/${messageId}/cancel`}>
    <CsrfField token={page.csrfToken} />
    {stay && <input type="hidden" name="return_to" value={page.location} />}
    <button type="submit" class={small ? "button small danger" : "button danger"}>
      {label}
    </button>
  </form>
);

/** A delivery log table; failed and cancelled rows can be replayed in place, scheduled ones cancelled. */
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
          <ActionsHeading />
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
              {d.status === "scheduled" && d.next_attempt_at && (
                <>
                  {" "}
                  <span class="muted">
                    due <Time value={d.next_attempt_at} />
                  </span>
                </>
              )}
            </td>
            <td data-label="Attempts" class="num">
              {d.attempt_count}
            </td>
            <td data-label="Last result">{lastResult(d)}</td>
            <RowActions>
              {(d.status === "failed" || d.status === "cancelled") && <ReplayButton page={page} id={d.id} label="Replay" small stay />}
              {d.status === "scheduled" && <CancelMessageButton page={page} messageId={d.message_id} label="Cancel" small stay />}
              <a class="button small" href={`/dashboard/deliveries/${d.id}`}>
                Details
              </a>
            </RowActions>
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
  <Layout title="Deliveries" page={page} notice={notice} refreshSeconds={deliveries.some((d) => inFlight(d.status)) ? REFRESH_SECONDS : undefined}>
    <div class="page-head">
      <h1>Deliveries</h1>
    </div>
    <section class="card table-card">
      <div class="card-head">
        <p class="muted small">Every webhook sent to your endpoints, newest first.</p>
        <StatusFilter action="/dashboard/deliveries" status={status} />
      </div>
      <DeliveryTable page={page} deliveries={deliveries} showEndpoint />
      <Pager path="/dashboard/deliveries" query={{ status }} cursor={nextCursor} label="Older deliveries →" />
    </section>
  </Layout>
);
