import type { FC } from "hono/jsx";
import type { Endpoint } from "../../schemas/endpoints";
import { formatTime } from "../format";
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

/**
 * An endpoint's state as a badge: disabled, failing (since when its current run of failed attempts
 * began) or enabled. A failing endpoint is never shown as a green "Enabled".
 */
export const EnabledBadge: FC<{ endpoint: Endpoint }> = ({ endpoint }) => {
  if (!endpoint.enabled) return <Badge kind="disabled" label="Disabled" />;
  if (endpoint.failing_since) return <Badge kind="failing" label={`Failing since ${formatTime(endpoint.failing_since)}`} />;
  return <Badge kind="enabled" label="Enabled" />;
};
