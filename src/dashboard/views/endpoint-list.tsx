import type { FC } from "hono/jsx";
import type { SeriesBucket } from "../../lib/endpoint-stats";
import type { AttemptCounts } from "../../db/endpoint-stats";
import type { Endpoint } from "../../schemas/endpoints";
import { shortId, successRate } from "../format";
import { AttemptChart } from "./chart";
import { ActionsHeading, BreakableUrl, CopyButton, Pager, RowActions } from "./components";
import { EnabledBadge, endpointTitle, Events, Source } from "./endpoint-summary";
import { Icon } from "./icons";
import { Layout, type PageContext } from "./layout";

const SuccessRate: FC<{ outcomes: AttemptCounts | undefined }> = ({ outcomes }) => {
  const rate = successRate(outcomes);
  if (!rate) return <span class="muted">No attempts</span>;
  return (
    <span class="rate">
      <strong>{rate.percent}</strong> <span class="muted small">{rate.counts}</span>
    </span>
  );
};

/** `/dashboard`: the tenant's endpoints with their recent success rate, and 24 h of activity. */
export const EndpointsPage: FC<{
  page: PageContext;
  notice: string | null;
  endpoints: Endpoint[];
  /** Attempts by outcome in the last 24 hours, per endpoint of the page. */
  outcomes: Map<string, AttemptCounts>;
  /** Attempts per hour of the last 24 hours, across the tenant's endpoints. */
  hours: SeriesBucket[];
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
      <AttemptChart hours={hours} id="tenant-chart" />
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
              <ActionsHeading />
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
                    <Source source={endpoint.source} />
                  </td>
                  <td data-label="Status">
                    <EnabledBadge endpoint={endpoint} />
                  </td>
                  <td data-label="Success (24 h)">
                    <SuccessRate outcomes={outcomes.get(endpoint.id)} />
                  </td>
                  <RowActions>
                    <a class="icon-button" href={`/dashboard/endpoints/${endpoint.id}/edit`} aria-label={`Edit ${title}`} title="Edit">
                      <Icon name="pencil" />
                    </a>
                    <a class="icon-button danger" href={`/dashboard/endpoints/${endpoint.id}/delete`} aria-label={`Delete ${title}`} title="Delete">
                      <Icon name="trash" />
                    </a>
                  </RowActions>
                </tr>
              );
            })}
          </tbody>
        </table>
        <Pager path="/dashboard" cursor={nextCursor} label="More endpoints →" />
      </section>
    )}
  </Layout>
);
