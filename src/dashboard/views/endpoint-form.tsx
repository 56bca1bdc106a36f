import type { FC } from "hono/jsx";
import type { Endpoint } from "../../schemas/endpoints";
import type { EventTypeRecord } from "../../schemas/event-types";
import type { EndpointFormValues, FieldErrors } from "../endpoint-form";
import { CsrfField, Field, fieldAria, Notice } from "./components";
import { AdvancedFields, TextField } from "./endpoint-form-advanced";
import { FilterField } from "./endpoint-form-filter";
import { endpointTitle } from "./endpoint-summary";
import { EventTypeChoices } from "./event-types";
import { Layout, type PageContext } from "./layout";

const FIELD_LABELS: Record<keyof FieldErrors, string> = {
  form: "Form",
  name: "Name",
  url: "URL",
  description: "Description",
  event_types: "Event types",
  events: "Events",
  source: "Source",
  enabled: "Enabled",
  signature_scheme: "Signature scheme",
  signature_header: "Signature header",
  signature_prefix: "Signature prefix",
  headers: "Custom headers",
  max_attempts: "Max attempts",
  schedule: "Retry schedule",
  timeout_ms: "Timeout",
  rate_per_second: "Rate limit",
  rate_burst: "Burst",
  max_in_flight: "Max in flight",
  filter: "Payload filter",
};

const ErrorSummary: FC<{ errors: FieldErrors }> = ({ errors }) => {
  // In the order the form shows them.
  const fields = (Object.keys(FIELD_LABELS) as Array<keyof FieldErrors>).filter((f) => errors[f]);
  if (fields.length === 0) return null;
  return (
    <Notice kind="error" class="form-width">
      <strong>Please fix {fields.length === 1 ? "this field" : `these ${fields.length} fields`}:</strong>
      <ul>
        {fields.map((f) => (
          <li>
            {f === "form" ? errors.form!.join(" ") : <a href={`#${f}`}>{`${FIELD_LABELS[f]}: ${errors[f]!.join(" ")}`}</a>}
          </li>
        ))}
      </ul>
    </Notice>
  );
};

/**
 * The create and edit form for an endpoint, showing the API's validation messages per field. The
 * catalogue's `eventTypes` are offered as checkboxes; the events field takes any other type or pattern.
 */
export const EndpointFormPage: FC<{
  page: PageContext;
  endpoint: Endpoint | null;
  values: EndpointFormValues;
  errors: FieldErrors;
  eventTypes: EventTypeRecord[];
}> = ({ page, endpoint, values, errors, eventTypes }) => {
  const editing = endpoint !== null;
  const title = editing ? `Edit ${endpointTitle(endpoint)}` : "Add endpoint";
  const action = editing ? `/dashboard/endpoints/${endpoint.id}/edit` : "/dashboard/endpoints/new";
  const cancel = editing ? `/dashboard/endpoints/${endpoint.id}` : "/dashboard";
  const state = { values, errors };
  return (
    <Layout title={title} page={page}>
      <p class="crumbs">
        <a href="/dashboard">Endpoints</a>
        {editing && (
          <>
            {" / "}
            <a href={cancel}>{endpointTitle(endpoint)}</a>
          </>
        )}{" "}
        / {editing ? "Edit" : "New"}
      </p>
      <div class="page-head">
        <h1>{title}</h1>
      </div>
      <ErrorSummary errors={errors} />
      <form class="card stack" method="post" action={action} novalidate>
        <CsrfField token={page.csrfToken} />
        <TextField {...state} name="name" label="Name" hint="Shown in this dashboard only." extra={{ autocomplete: "off" }} />
        <Field name="url" label="URL" hint="Where each webhook is POSTed." errors={errors.url}>
          <input
            type="url"
            id="url"
            name="url"
            value={values.url}
            required
            inputmode="url"
            placeholder="https://example.com/webhooks"
            {...fieldAria("url", { hint: true, errors: errors.url })}
          />
        </Field>
        <Field name="description" label="Description" errors={errors.description}>
          <textarea id="description" name="description" rows={2} {...fieldAria("description", { errors: errors.description })}>
            {values.description}
          </textarea>
        </Field>
        <EventTypeChoices types={eventTypes} checked={values.event_types} />
        {eventTypes.length === 0 ? (
          <TextField {...state} name="events" label="Events" hint="Event types, separated by commas; a trailing * matches a prefix (document.*). Leave empty for all events." />
        ) : (
          <TextField {...state} name="events" label="Other events and patterns" hint="Separated by commas; a trailing * matches a prefix (document.*)." />
        )}
        <TextField {...state} name="source" label="Source" hint="Only messages from this source (model, product or project). Leave empty for every source." />
        <FilterField {...state} eventTypes={eventTypes} />
        <div class="field">
          <label class="checkbox" for="enabled">
            <input type="checkbox" id="enabled" name="enabled" checked={values.enabled} />
            Enabled
          </label>
        </div>
        <AdvancedFields {...state} />
        <div class="form-actions">
          <button type="submit" class="button primary">
            {editing ? "Save changes" : "Create endpoint"}
          </button>
          <a class="button" href={cancel}>
            Cancel
          </a>
        </div>
      </form>
    </Layout>
  );
};

/** `/dashboard/endpoints/{id}/delete`: asks before deleting. */
export const DeleteEndpointPage: FC<{ page: PageContext; endpoint: Endpoint }> = ({ page, endpoint }) => (
  <Layout title={`Delete ${endpointTitle(endpoint)}`} page={page}>
    <p class="crumbs">
      <a href="/dashboard">Endpoints</a> / <a href={`/dashboard/endpoints/${endpoint.id}`}>{endpointTitle(endpoint)}</a> / Delete
    </p>
    <section class="card form-width" aria-labelledby="delete-title">
      <h1 id="delete-title">Delete this endpoint?</h1>
      <p>
        <strong>{endpointTitle(endpoint)}</strong> (<code>{endpoint.url}</code>) stops receiving webhooks. Deliveries still pending to it are
        cancelled, and its id and signing secret stop working. This cannot be undone.
      </p>
      <form method="post" action={`/dashboard/endpoints/${endpoint.id}/delete`} class="form-actions">
        <CsrfField token={page.csrfToken} />
        <button type="submit" class="button danger solid">
          Delete endpoint
        </button>
        <a class="button" href={`/dashboard/endpoints/${endpoint.id}`}>
          Cancel
        </a>
      </form>
    </section>
  </Layout>
);
