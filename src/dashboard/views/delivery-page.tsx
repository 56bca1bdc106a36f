import type { FC } from "hono/jsx";
import type { getDeliveryWithAttempts } from "../../db/deliveries";
import { shortId } from "../format";
import { Badge, DetailsCard, Time } from "./components";
import { ReplayButton } from "./delivery-log";
import { Layout, type PageContext } from "./layout";

/** A delivery the dashboard shows in full: its state, event and every attempt. */
type DeliveryDetail = NonNullable<Awaited<ReturnType<typeof getDeliveryWithAttempts>>>;

/** Longest part of a receiver's answer shown in the attempts table. */
const EXCERPT_CHARS = 500;

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
    <DetailsCard id="delivery-title">
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
    </DetailsCard>
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
