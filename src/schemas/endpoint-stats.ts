import { z } from "@hono/zod-openapi";
import { STATS_WINDOWS } from "../lib/endpoint-stats";
import { Timestamp } from "./common";

const windows = Object.keys(STATS_WINDOWS) as [keyof typeof STATS_WINDOWS, ...Array<keyof typeof STATS_WINDOWS>];

/** Query of `GET …/endpoints/{id}/stats`: the window, 24h when left out. */
export const EndpointStatsQuery = z.object({
  window: z
    .enum(windows)
    .default("24h")
    .openapi({ param: { name: "window", in: "query" }, description: "How far back: 1h (12 five-minute buckets), 24h (24 hours) or 7d (28 six-hour buckets)" }),
});

const Count = z.number().int().nonnegative();

/** An endpoint's attempts in a window, by outcome, with latency percentiles and a series of buckets. */
export const EndpointStatsSchema = z
  .object({
    window: z.enum(windows),
    totals: z.object({
      attempts: Count,
      succeeded: Count,
      failed: Count,
      success_rate: z.number().min(0).max(1).nullable().openapi({ description: "succeeded / attempts, 0–1; null with no attempts" }),
      latency_ms: z
        .object({ p50: z.number().nullable(), p95: z.number().nullable() })
        .openapi({ description: "Estimated from a fixed latency histogram (exact to a bucket's width); null with no attempts" }),
    }),
    series: z.array(z.object({ start: Timestamp, attempts: Count, succeeded: Count, failed: Count })).openapi({ description: "Every bucket of the window, oldest first" }),
  })
  .openapi("EndpointStats");

export type EndpointStats = z.infer<typeof EndpointStatsSchema>;
