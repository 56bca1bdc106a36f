import type { FC } from "hono/jsx";
import type { TestEventChoice } from "../../ops/event-types";
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
 * `/dashboard/endpoints/{id}/test`: choose the event type (the endpoint's subscriptions and the
 * catalogue's types it listens for) and edit the payload, which starts from the chosen type's
 * example, then send. Each option carries its example in `data-payload`: the dashboard script puts
 * it in the payload field when the choice changes and the payload was not edited. `error` is why
 * the last attempt was refused.
 */
export const TestEventPage: FC<{ page: PageContext; endpoint: Endpoint; choices: TestEventChoice[]; values: TestEventValues; error: string | null }> = ({
  page,
  endpoint,
  choices,
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
        <Field name="event" label="Event type" hint="The endpoint's subscriptions; webhook.test is always accepted. The payload starts from the type's example.">
          <select id="event" name="event" data-payload-target="payload">
            {choices.map((choice) => (
              <option value={choice.event} selected={choice.event === values.event} data-payload={choice.payload}>
                {choice.event}
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
