import type { FC } from "hono/jsx";
import type { Endpoint } from "../../schemas/endpoints";
import { CsrfField, Field } from "./components";
import { endpointTitle } from "./endpoint-summary";
import { Icon } from "./icons";
import { Layout, type PageContext } from "./layout";

/** What the test event form holds: the chosen event type and the payload text as typed. */
export interface TestEventValues {
  event: string;
  payload: string;
}

/**
 * `/dashboard/endpoints/{id}/test`: choose the event type (from the endpoint's subscriptions) and
 * edit the example payload, then send. `error` is why the last attempt was refused.
 */
export const TestEventPage: FC<{ page: PageContext; endpoint: Endpoint; eventTypes: string[]; values: TestEventValues; error: string | null }> = ({
  page,
  endpoint,
  eventTypes,
  values,
  error,
}) => {
  const base = `/dashboard/endpoints/${endpoint.id}`;
  return (
    <Layout title="Send a test event" page={page}>
      <p class="crumbs">
        <a href="/dashboard">Endpoints</a> / <a href={base}>{endpointTitle(endpoint)}</a> / Test event
      </p>
      <div class="page-head">
        <h1>Send a test event</h1>
      </div>
      <form class="card stack" method="post" action={`${base}/test`}>
        <CsrfField token={page.csrfToken} />
        <Field name="event" label="Event type" hint="The endpoint's subscriptions; webhook.test is always accepted.">
          <select id="event" name="event">
            {eventTypes.map((e) => (
              <option value={e} selected={e === values.event}>
                {e}
              </option>
            ))}
          </select>
        </Field>
        <Field name="payload" label="Payload" hint="Any JSON. The receiver gets exactly this text as the body." errors={error ? [error] : undefined}>
          <textarea id="payload" name="payload" rows={12} spellcheck={false} aria-invalid={error ? "true" : undefined} aria-describedby={error ? "payload-error" : "payload-hint"}>
            {values.payload}
          </textarea>
        </Field>
        <div class="form-actions">
          <button type="submit" class="button primary">
            <Icon name="send" />
            Send test event
          </button>
          <a class="button" href={base}>
            Cancel
          </a>
        </div>
      </form>
    </Layout>
  );
};
