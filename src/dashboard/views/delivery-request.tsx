import type { FC } from "hono/jsx";
import { indentJson } from "../../lib/json-text";
import type { SentHeader } from "../../ops/delivery-request";
import { CopyButton } from "./components";

/** How a custom header's value shows until revealed: its length stays secret too. */
const MASK = "••••••••";

/** The message's payload, indented for reading, with a copy of (and a link to) the exact bytes. */
export const PayloadCard: FC<{ deliveryId: string; event: string; payload: string }> = ({ deliveryId, event, payload }) => (
  <section class="card" aria-labelledby="payload-title">
    <div class="card-head">
      <h2 id="payload-title">
        Payload of <code>{event}</code>
      </h2>
      <div class="actions">
        <CopyButton label="Copy payload" value={payload} copied="Payload copied" />
        <a class="button small" href={`/dashboard/deliveries/${deliveryId}/payload`}>
          Exact bytes
        </a>
      </div>
    </div>
    <pre class="payload" data-testid="payload">
      {indentJson(payload)}
    </pre>
  </section>
);

/**
 * The request headers of one attempt. Custom headers (the endpoint's static ones, often
 * credentials) show masked unless `revealed`; signature values are not stored, so they are described.
 */
export const RequestHeaders: FC<{ headers: SentHeader[]; revealed: boolean }> = ({ headers, revealed }) => (
  <details class="request-headers">
    <summary>Request headers</summary>
    <dl class="headers">
      {headers.map((h) => (
        <>
          <dt>{h.name}</dt>
          <dd class={h.kind}>{h.kind === "custom" && !revealed ? <span aria-label="hidden value">{MASK}</span> : h.value}</dd>
        </>
      ))}
    </dl>
  </details>
);
