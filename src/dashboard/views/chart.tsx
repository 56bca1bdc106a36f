import type { FC } from "hono/jsx";
import type { SeriesBucket } from "../../lib/endpoint-stats";

const WIDTH = 480;
const HEIGHT = 120;
const SLOT = WIDTH / 24;
const GAP = 3;

function hourLabel(start: number): string {
  const hour = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  return `${hour(start)}–${hour(start + 3_600_000)} UTC`;
}

const attemptsWord = (n: number) => (n === 1 ? "attempt" : "attempts");

function describe(hour: SeriesBucket): string {
  return `${hourLabel(hour.start)}: ${hour.attempts} ${attemptsWord(hour.attempts)}, ${hour.succeeded} succeeded, ${hour.failed} failed`;
}

/**
 * Attempts per hour over the last 24 hours by outcome, as an inline SVG bar chart (stacked: failed
 * at the bottom, then succeeded). They come from the endpoints' stats rollups, so a chart reads no
 * delivery (issue 25). Colours come from CSS classes, so the strict CSP needs no inline styles; the
 * numbers are also available as a table.
 */
export const AttemptChart: FC<{ hours: SeriesBucket[]; id: string }> = ({ hours, id }) => {
  const total = hours.reduce((sum, h) => sum + h.attempts, 0);
  const failed = hours.reduce((sum, h) => sum + h.failed, 0);
  const peak = Math.max(1, ...hours.map((h) => h.attempts));
  const scale = (n: number) => (n / peak) * (HEIGHT - 4);
  const summary = `${total} ${attemptsWord(total)} in the last 24 hours, ${failed} failed`;
  return (
    <div class="chart">
      <figure>
        <figcaption>
          <span id={`${id}-summary`}>
            <strong>{total}</strong> {attemptsWord(total)} · <strong>{failed}</strong> failed
          </span>
          <span class="legend" aria-hidden="true">
            <span>
              <span class="swatch ok"></span>Succeeded
            </span>
            <span>
              <span class="swatch bad"></span>Failed
            </span>
          </span>
        </figcaption>
        <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-label={summary} data-testid={`${id}-svg`}>
          {hours.map((hour, i) => {
            const x = i * SLOT + GAP / 2;
            const width = SLOT - GAP;
            const failedHeight = scale(hour.failed);
            const okHeight = scale(hour.succeeded);
            return (
              <g>
                <title>{describe(hour)}</title>
                <rect x={x} y={0} width={width} height={HEIGHT} fill="transparent" />
                {hour.failed > 0 && <rect class="bar-bad" x={x} y={HEIGHT - failedHeight} width={width} height={failedHeight} />}
                {hour.succeeded > 0 && <rect class="bar-ok" x={x} y={HEIGHT - failedHeight - okHeight} width={width} height={okHeight} />}
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
                <th scope="col" class="num">Attempts</th>
                <th scope="col" class="num">Succeeded</th>
                <th scope="col" class="num">Failed</th>
              </tr>
            </thead>
            <tbody>
              {hours
                .filter((h) => h.attempts > 0)
                .map((h) => (
                  <tr>
                    <td>{hourLabel(h.start)}</td>
                    <td class="num">{h.attempts}</td>
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
