import type { FC } from "hono/jsx";
import type { getDeliveryWithAttempts } from "../../db/deliveries";
import type { SentHeader } from "../../ops/delivery-request";
import { shortId } from "../format";
import { Badge, DetailsCard, Time } from "./components";
import { CancelMessageButton, cancellable, inFlight, REFRESH_SECONDS, ReplayButton } from "./delivery-log";
import { PayloadCard, RequestHeaders } from "./delivery-request";
import { Layout, type PageContext } from "./layout";

/** A delivery the dashboard shows in full: its state, event and every attempt. */
type DeliveryDetail = NonNullable<Awaited<ReturnType<typeof getDeliveryWithAttempts>>>;

/** Longest part of a receiver's answer shown in the attempts table. */
const EXCERPT_CHARS = 500;

function attemptResult(a: DeliveryDetail["attempts"][number]): string {
  if (a.status_code !== null) return `HTTP ${a.status_code}`;
  return a.error_kind ?? "error";
}

/**
 * `/dashboard/deliveries/{id}`: one delivery, the payload it carries, each attempt with the headers
 * it was sent with, and replay. `headers[i]` are the request headers of `delivery.attempts[i]`.
 */
export const DeliveryPage: FC<{
  page: PageContext;
  notice: string | null;
  delivery: DeliveryDetail;
  endpointName: string | null;
  payload: string;
  headers: SentHeader[][];
  headersRevealed: boolean;
}> = ({ page, notice, delivery, endpointName, payload, headers, headersRevealed }) => (
  <Layout title={`Delivery ${shortId(delivery.id)}`} page={page} notice={notice} refreshSeconds={inFlight(delivery.status) ? REFRESH_SECONDS : undefined}>
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
        {cancellable({ status: delivery.status, attempt_count: delivery.attempt_count }) && (
          <CancelMessageButton page={page} messageId={delivery.message_id} label="Cancel message" stay />
        )}
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
      <dt>Event type</dt>
      <dd>
        <code>{delivery.event}</code>
      </dd>
      <dt>Created</dt>
      <dd>
        <Time value={delivery.created_at} />
      </dd>
      {delivery.next_attempt_at && (
        <>
          <dt>{delivery.status === "scheduled" ? "Scheduled for" : "Next attempt"}</dt>
          <dd>
            <Time value={delivery.next_attempt_at} />
          </dd>
        </>
      )}
    </DetailsCard>
    <PayloadCard deliveryId={delivery.id} event={delivery.event} payload={payload} />
    <section class="card table-card" aria-labelledby="attempts-title">
      <div class="card-head">
        <h2 id="attempts-title">Attempts ({delivery.attempts.length})</h2>
        {headers.some((h) => h.some((header) => header.kind === "custom")) &&
          (headersRevealed ? (
            <a class="button small" href={`/dashboard/deliveries/${delivery.id}`}>
              Hide header values
            </a>
          ) : (
            <a class="button small" href={`/dashboard/deliveries/${delivery.id}?headers=shown`}>
              Reveal header values
            </a>
          ))}
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
              <th scope="col">Request</th>
            </tr>
          </thead>
          <tbody>
            {delivery.attempts.map((a, i) => (
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
                <td data-label="Request">
                  <RequestHeaders headers={headers[i] ?? []} revealed={headersRevealed} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </Layout>
);
