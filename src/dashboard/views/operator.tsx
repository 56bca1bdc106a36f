import type { FC } from "hono/jsx";
import type { DeadLetter } from "../../db/operator-view";
import type { Endpoint } from "../../schemas/endpoints";
import { shortId } from "../format";
import { ActionsHeading, CsrfField, Time } from "./components";
import { lastResult } from "./delivery-log";
import { EnabledBadge, endpointTitle } from "./endpoint-summary";
import { Layout, type PageContext } from "./layout";

/** A button that opens a tenant's own dashboard at `next` (a tenant session beside the operator's). */
const OpenAsTenant: FC<{ page: PageContext; tenantId: string; next: string; label: string }> = ({ page, tenantId, next, label }) => (
  <form method="post" action={`/dashboard/operator/tenants/${encodeURIComponent(tenantId)}/open`} class="inline">
    <CsrfField token={page.csrfToken} />
    <input type="hidden" name="next" value={next} />
    <button type="submit" class="button small">
      {label}
    </button>
  </form>
);

const FindForm: FC<{ query: string }> = ({ query }) => (
  <form method="get" action="/dashboard/operator" class="card" role="search">
    <div class="field">
      <label for="find-id">Find a message or delivery by id</label>
      <input type="search" id="find-id" name="id" value={query} spellcheck={false} autocomplete="off" />
    </div>
    <button type="submit" class="button">
      Find
    </button>
  </form>
);

const Found: FC<{ page: PageContext; query: string; found: { tenantId: string; kind: "message" | "delivery" } | null }> = ({ page, query, found }) =>
  found ? (
    <p data-testid="found">
      A {found.kind} of tenant <code>{found.tenantId}</code>.{" "}
      <OpenAsTenant
        page={page}
        tenantId={found.tenantId}
        next={found.kind === "delivery" ? `/dashboard/deliveries/${query.toLowerCase()}` : "/dashboard/deliveries"}
        label={found.kind === "delivery" ? "Open the delivery as the tenant sees it" : "Open the tenant's deliveries"}
      />
    </p>
  ) : (
    <p data-testid="found">No message or delivery has the id <code>{query}</code>.</p>
  );

/** `/dashboard/operator`: what needs an operator's attention across every tenant. */
export const OperatorPage: FC<{
  page: PageContext;
  notice: string | null;
  endpoints: Endpoint[];
  deadLetters: DeadLetter[];
  query: string;
  found: { tenantId: string; kind: "message" | "delivery" } | null;
}> = ({ page, notice, endpoints, deadLetters, query, found }) => (
  <Layout title="Operator view" page={page} notice={notice}>
    <div class="page-head">
      <h1>Operator view</h1>
    </div>
    <p class="muted">Every tenant. Signed in with the admin token: open a tenant to see its pages as its customers do.</p>
    <FindForm query={query} />
    {query && <Found page={page} query={query} found={found} />}
    <section class="card" aria-labelledby="troubled-title">
      <h2 id="troubled-title">Failing and disabled endpoints</h2>
      {endpoints.length === 0 ? (
        <p class="muted">Every endpoint is enabled and healthy.</p>
      ) : (
        <table class="list stacked" data-testid="troubled-endpoints">
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <ActionsHeading />
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr data-endpoint-id={e.id}>
                <td data-label="Tenant"><code>{e.tenant_id}</code></td>
                <td data-label="Endpoint">
                  {endpointTitle(e)} <code class="small">{e.url}</code>
                </td>
                <td data-label="Status"><EnabledBadge endpoint={e} /></td>
                <td data-label="Reason">{e.disabled_reason ?? ""}</td>
                <td>
                  <OpenAsTenant page={page} tenantId={e.tenant_id} next={`/dashboard/endpoints/${e.id}`} label="Open" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
    <section class="card" aria-labelledby="dead-title">
      <h2 id="dead-title">Dead letters</h2>
      <p class="muted">Deliveries that failed for good, newest first. Replay them from the tenant's delivery page.</p>
      {deadLetters.length === 0 ? (
        <p class="muted">No delivery has failed.</p>
      ) : (
        <table class="list stacked" data-testid="dead-letters">
          <thead>
            <tr>
              <th scope="col">Failed</th>
              <th scope="col">Tenant</th>
              <th scope="col">Delivery</th>
              <th scope="col">Last result</th>
              <ActionsHeading />
            </tr>
          </thead>
          <tbody>
            {deadLetters.map((d) => (
              <tr data-delivery-id={d.id}>
                <td data-label="Failed"><Time value={d.failed_at} /></td>
                <td data-label="Tenant"><code>{d.tenant_id}</code></td>
                <td data-label="Delivery">
                  <code title={d.id}>{shortId(d.id)}…</code> after {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
                </td>
                <td data-label="Last result">{lastResult(d)}</td>
                <td>
                  <OpenAsTenant page={page} tenantId={d.tenant_id} next={`/dashboard/deliveries/${d.id}`} label="Open" />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </Layout>
);
