import type { FC } from "hono/jsx";
import type { Endpoint } from "../../schemas/endpoints";
import { Badge } from "./components";

/** How an endpoint is named on screen. */
export function endpointTitle(endpoint: Pick<Endpoint, "name">): string {
  return endpoint.name ?? "Unnamed endpoint";
}

/** The event types an endpoint listens for, as chips. */
export const Events: FC<{ events: string[] }> = ({ events }) =>
  events.length === 0 ? (
    <span class="muted">All events</span>
  ) : (
    <span class="chips">
      {events.map((e) => (
        <span class="chip">{e}</span>
      ))}
    </span>
  );

/** The source an endpoint listens for. */
export const Source: FC<{ source: string | null }> = ({ source }) => (source ? <code>{source}</code> : <span class="muted">All sources</span>);

/** Whether an endpoint is enabled, as a badge. */
export const EnabledBadge: FC<{ endpoint: Endpoint }> = ({ endpoint }) =>
  endpoint.enabled ? <Badge kind="enabled" label="Enabled" /> : <Badge kind="disabled" label="Disabled" />;
