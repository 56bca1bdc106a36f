import type { FC } from "hono/jsx";
import type { HourlyDeliveries } from "../../db/delivery-stats";

const WIDTH = 480;
const HEIGHT = 120;
const SLOT = WIDTH / 24;
const GAP = 3;

function hourLabel(start: number): string {
  const hour = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  return `${hour(start)}–${hour(start + 3_600_000)} UTC`;
}

function describe(hour: HourlyDeliveries): string {
  const other = hour.total - hour.succeeded - hour.failed;
  return `${hourLabel(hour.start)}: ${hour.total} ${hour.total === 1 ? "delivery" : "deliveries"}, ${hour.succeeded} succeeded, ${hour.failed} failed${other ? `, ${other} in progress` : ""}`;
}

/**
 * Deliveries and failures per hour over the last 24 hours, as an inline SVG bar chart (stacked:
 * failed at the bottom, then succeeded, then still in progress). Colours come from CSS classes,
 * so the strict CSP needs no inline styles; the numbers are also available as a table.
 */
export const DeliveryChart: FC<{ hours: HourlyDeliveries[]; id: string }> = ({ hours, id }) => {
  const total = hours.reduce((sum, h) => sum + h.total, 0);
  const failed = hours.reduce((sum, h) => sum + h.failed, 0);
  const peak = Math.max(1, ...hours.map((h) => h.total));
  const scale = (n: number) => (n / peak) * (HEIGHT - 4);
  const summary = `${total} ${total === 1 ? "delivery" : "deliveries"} in the last 24 hours, ${failed} failed`;
  return (
    <div class="chart">
      <figure>
        <figcaption>
          <span id={`${id}-summary`}>
            <strong>{total}</strong> {total === 1 ? "delivery" : "deliveries"} · <strong>{failed}</strong> failed
          </span>
          <span class="legend" aria-hidden="true">
            <span>
              <span class="swatch ok"></span>Succeeded
            </span>
            <span>
              <span class="swatch bad"></span>Failed
            </span>
            <span>
              <span class="swatch other"></span>In progress
            </span>
          </span>
        </figcaption>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={summary} data-testid={`${id}-svg`}>
          {hours.map((hour, i) => {
            const x = i * SLOT + GAP / 2;
            const width = SLOT - GAP;
            const failedHeight = scale(hour.failed);
            const okHeight = scale(hour.succeeded);
            const otherHeight = scale(hour.total - hour.succeeded - hour.failed);
            return (
              <g>
                <title>{describe(hour)}</title>
                <rect x={x} y={0} width={width} height={HEIGHT} fill="transparent" />
                {hour.failed > 0 && <rect class="bar-bad" x={x} y={HEIGHT - failedHeight} width={width} height={failedHeight} />}
                {hour.succeeded > 0 && <rect class="bar-ok" x={x} y={HEIGHT - failedHeight - okHeight} width={width} height={okHeight} />}
                {otherHeight > 0 && (
                  <rect class="bar-other" x={x} y={HEIGHT - failedHeight - okHeight - otherHeight} width={width} height={otherHeight} />
                )}
              </g>
            );
          })}
          <line class="baseline" x1={0} x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} vector-effect="non-scaling-stroke" />
        </svg>
        <div class="axis" aria-hidden="true">
          <span>24 h ago</span>
          <span>12 h ago</span>
          <span>now</span>
        </div>
      </figure>
      {total > 0 && (
        <details>
          <summary>Show as a table</summary>
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Hour</th>
                <th scope="col" class="num">Deliveries</th>
                <th scope="col" class="num">Succeeded</th>
                <th scope="col" class="num">Failed</th>
              </tr>
            </thead>
            <tbody>
              {hours
                .filter((h) => h.total > 0)
                .map((h) => (
                  <tr>
                    <td>{hourLabel(h.start)}</td>
                    <td class="num">{h.total}</td>
                    <td class="num">{h.succeeded}</td>
                    <td class="num">{h.failed}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
};
