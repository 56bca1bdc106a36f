import type { FC } from "hono/jsx";
import type { DeliveryListEntry } from "../../db/deliveries";
import { SLOW_ANSWER_MS } from "../../delivery/lanes";
import type { Endpoint } from "../../schemas/endpoints";
import { formatSeconds, formatTime } from "../format";
import { STATS_WINDOWS, type WindowStats } from "../../lib/endpoint-stats";
import { StatsChart } from "./stats-chart";
import { CopyButton, CsrfField, DetailsCard, Notice, Pager, Time } from "./components";
import { DeliveryTable, StatusFilter } from "./delivery-log";
import { EnabledBadge, endpointTitle, Events, Source } from "./endpoint-summary";
import { Icon } from "./icons";
import { Layout, type PageContext } from "./layout";
import { SecretCard } from "./secret-card";

function retryText(endpoint: Endpoint): string {
  const { max_attempts, schedule } = endpoint.retry;
  const parts = [
    max_attempts === undefined ? "default attempts" : `${max_attempts} ${max_attempts === 1 ? "attempt" : "attempts"}`,
    schedule ? `waits ${schedule.map(formatSeconds).join(", ")}` : "default schedule",
  ];
  return parts.join(", ");
}

const SLOW_S = SLOW_ANSWER_MS / 1000;

/**
 * What the endpoint's delivery lane means (src/delivery/lanes.ts). A refused connection counts as a
 * quick answer there, so while the endpoint is failing the main lane says only what was last quick,
 * never that a dead receiver "answers".
 */
function laneText({ delivery_lane, failing_since }: Endpoint): string {
  if (delivery_lane === "slow") return `slow: new, or its receiver took ${SLOW_S} s or more; back to main after an answer within ${SLOW_S} s`;
  if (failing_since) return `main: attempts end within ${SLOW_S} s, but every one has failed since ${formatTime(failing_since)}`;
  return `main: its receiver answers within ${SLOW_S} s`;
}

/** The endpoint's rate limit and in-flight cap, in words. */
function limitsText({ rate_limit, max_in_flight }: Endpoint): string {
  const parts = [
    rate_limit ? `${rate_limit.per_second} per second${rate_limit.burst > 1 ? `, bursts of ${rate_limit.burst}` : ""}` : "no rate limit",
    max_in_flight === null ? "no in-flight cap" : `at most ${max_in_flight} in flight`,
  ];
  return parts.join(", ");
}

/** `/dashboard/endpoints/{id}`: settings, secret, test event, 24 h activity and its delivery log. */
export const EndpointPage: FC<{
  page: PageContext;
  notice: string | null;
  endpoint: Endpoint;
  secret: string | null;
  /** ed25519 endpoints: the current public key, shown openly. */
  publicKey: string | null;
  previousUntil: string[];
  /** The endpoint's attempts over the last 24 hours (src/ops/endpoint-stats.ts). */
  stats: WindowStats;
  deliveries: DeliveryListEntry[];
  status: string | undefined;
  nextCursor: string | null;
}> = ({ page, notice, endpoint, secret, publicKey, previousUntil, stats, deliveries, status, nextCursor }) => {
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
          <a class="button" href={`${base}/test`}>
            Customize test event
          </a>
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
      <DetailsCard id="details-title">
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
        <dd><Source source={endpoint.source} /></dd>
        <dt>Retries</dt>
        <dd>{retryText(endpoint)}</dd>
        <dt>Timeout</dt>
        <dd>{endpoint.timeout_ms} ms</dd>
        <dt>Limits</dt>
        <dd>{limitsText(endpoint)}</dd>
        <dt>Delivery lane</dt>
        <dd>{laneText(endpoint)}</dd>
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
      </DetailsCard>
      <SecretCard page={page} endpoint={endpoint} secret={secret} publicKey={publicKey} previousUntil={previousUntil} />
      <section class="card" aria-labelledby="endpoint-activity-title">
        <h2 id="endpoint-activity-title">Attempts, last 24 hours</h2>
        <StatsChart stats={stats} bucketMs={STATS_WINDOWS[stats.window].bucketMs} id="endpoint-chart" />
      </section>
      <section class="card table-card" id="deliveries" aria-labelledby="deliveries-title">
        <div class="card-head">
          <h2 id="deliveries-title">Deliveries</h2>
          <StatusFilter action={`${base}#deliveries`} status={status} />
        </div>
        <DeliveryTable page={page} deliveries={deliveries} showEndpoint={false} />
        <Pager path={base} query={{ status }} cursor={nextCursor} hash="#deliveries" label="Older deliveries →" />
      </section>
    </Layout>
  );
};
