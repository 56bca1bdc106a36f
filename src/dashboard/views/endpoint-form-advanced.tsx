import type { FC } from "hono/jsx";
import { DEFAULT_HMAC_HEADER, DEFAULT_RATE_BURST, MAX_IN_FLIGHT, MAX_RATE_PER_SECOND, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS } from "../../limits";
import type { EndpointFormValues, FieldErrors } from "../endpoint-form";
import { Field, fieldAria } from "./components";

/** What the endpoint form shows of its values and their errors. */
export interface FormState {
  values: EndpointFormValues;
  errors: FieldErrors;
}

/** A one-line text input of the endpoint form, with its label, hint and errors. */
export const TextField: FC<FormState & { name: keyof EndpointFormValues; label: string; hint?: string; extra?: Record<string, unknown> }> = ({
  values,
  errors,
  name,
  label,
  hint,
  extra = {},
}) => (
  <Field name={name} label={label} hint={hint} errors={errors[name]}>
    <input type="text" id={name} name={name} value={String(values[name])} {...fieldAria(name, { hint, errors: errors[name] })} {...extra} />
  </Field>
);

const ADVANCED_FIELDS: Array<keyof FieldErrors> = [
  "signature_scheme",
  "signature_header",
  "signature_prefix",
  "headers",
  "max_attempts",
  "schedule",
  "timeout_ms",
  "rate_per_second",
  "rate_burst",
  "max_in_flight",
];

/** Whether the advanced section starts open: when one of its fields has an error or a value set. */
function advancedOpen({ values, errors }: FormState): boolean {
  return (
    ADVANCED_FIELDS.some((f) => errors[f]) ||
    values.signature_scheme !== "standard" ||
    values.headers.trim() !== "" ||
    values.max_attempts.trim() !== "" ||
    values.schedule.trim() !== ""
  );
}

const SchemeField: FC<FormState> = ({ values, errors }) => (
  <Field
    name="signature_scheme"
    label="Signature scheme"
    hint="Ed25519: receivers verify with a public key and cannot sign themselves. Changing between it and the HMAC schemes issues a new key; the old one co-signs for 24 hours."
    errors={errors.signature_scheme}
  >
    <select id="signature_scheme" name="signature_scheme" {...fieldAria("signature_scheme", { hint: true, errors: errors.signature_scheme })}>
      <option value="standard" selected={values.signature_scheme === "standard"}>
        Standard Webhooks
      </option>
      <option value="hmac-sha256" selected={values.signature_scheme === "hmac-sha256"}>
        HMAC-SHA256 header
      </option>
      <option value="ed25519" selected={values.signature_scheme === "ed25519"}>
        Ed25519 public key (Standard Webhooks v1a)
      </option>
    </select>
  </Field>
);

const numeric = { inputmode: "numeric" };

/** The endpoint form's "Signing, retries and headers" section, open when it needs attention. */
export const AdvancedFields: FC<FormState> = (state) => (
  <details class="advanced" open={advancedOpen(state)}>
    <summary>Signing, retries and headers</summary>
    <div class="grid-2">
      <SchemeField {...state} />
      <TextField {...state} name="timeout_ms" label="Timeout (ms)" hint={`${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}.`} extra={numeric} />
    </div>
    <div class="grid-2">
      <TextField {...state} name="signature_header" label="Signature header" hint={`HMAC-SHA256 only. Default ${DEFAULT_HMAC_HEADER}.`} />
      <TextField {...state} name="signature_prefix" label="Signature prefix" hint="HMAC-SHA256 only, e.g. sha256=" />
    </div>
    <div class="grid-2">
      <TextField {...state} name="max_attempts" label="Max attempts" hint="Including the first try. Empty for the default." extra={numeric} />
      <TextField {...state} name="schedule" label="Retry schedule" hint="Seconds to wait before each retry, e.g. 10, 60, 600." />
    </div>
    <div class="grid-2">
      <TextField {...state} name="rate_per_second" label="Rate limit (per second)" hint={`At most this many deliveries a second, 1 to ${MAX_RATE_PER_SECOND}. Empty for none.`} extra={numeric} />
      <TextField {...state} name="rate_burst" label="Burst" hint={`Sent back to back before the rate applies. Default ${DEFAULT_RATE_BURST}.`} extra={numeric} />
    </div>
    <div class="grid-2">
      <TextField {...state} name="max_in_flight" label="Max in flight" hint={`At most this many requests open at once, 1 to ${MAX_IN_FLIGHT}. Empty for no cap.`} extra={numeric} />
    </div>
    <Field name="headers" label="Custom headers" hint='Sent with every delivery. One per line, "Name: value".' errors={state.errors.headers}>
      <textarea id="headers" name="headers" rows={3} spellcheck={false} {...fieldAria("headers", { hint: true, errors: state.errors.headers })}>
        {state.values.headers}
      </textarea>
    </Field>
  </details>
);
