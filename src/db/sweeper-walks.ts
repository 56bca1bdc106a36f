/**
 * The marks of the sweeper's resumable walks (migrations/shard/0017_create_sweeper_walks.sql): each
 * walk continues after the key the last sweep finished, so successive sweeps cover every range of a
 * shard however few queries each may make (src/db/query-budget.ts).
 */

/**
 * A (tenant id, endpoint id) pair: the start of a delivery's and of a rollup's primary key, so one
 * pair is one range of deliveries (a pair that has deliveries) or of endpoint stats (an endpoint).
 */
export type EndpointPair = [tenantId: string, endpointId: string];

/** Where each walk resumes: after this key, or from the first when null. */
export interface WalkMarks {
  /** Re-arming's walk of fresh deliveries over the deliveries' (tenant, endpoint) pairs. */
  freshPairs: EndpointPair | null;
  /**
   * When the fresh walk under way began (its first sweep's threshold, epoch ms), or null between
   * walks: a pair walked then was looked at only up to it, so the fresh-scan mark moves to it, no
   * further, when the walk reaches the last pair.
   */
  freshBegan: number | null;
  /** Retention over the deliveries' (tenant, endpoint) pairs. */
  purgeDeliveries: EndpointPair | null;
  /** Retention over the messages' tenant buckets. */
  purgeMessages: number | null;
  /** The endpoint stats fold over endpoints. */
  foldStats: EndpointPair | null;
  /** The endpoint stats purge over endpoints. */
  purgeStats: EndpointPair | null;
}

const FROM_THE_FIRST: WalkMarks = { freshPairs: null, freshBegan: null, purgeDeliveries: null, purgeMessages: null, foldStats: null, purgeStats: null };

const isPair = (v: unknown): v is EndpointPair => Array.isArray(v) && v.length === 2 && v.every((part) => typeof part === "string");

/** The mark stored as `after`, or null (from the first key) when absent or not the walk's kind of key. */
function markOf<K>(after: string | null | undefined, isKey: (v: unknown) => v is K): K | null {
  if (after == null) return null;
  try {
    const key: unknown = JSON.parse(after);
    return isKey(key) ? key : null;
  } catch {
    return null;
  }
}

/** Every walk's mark, in one query (a row per walk). */
export async function readWalkMarks(db: D1Database): Promise<WalkMarks> {
  const { results } = await db.prepare("SELECT name, after FROM sweeper_walks").all<{ name: string; after: string | null }>();
  const stored = new Map(results.map((r) => [r.name, r.after]));
  const isInteger = (v: unknown): v is number => Number.isInteger(v);
  return {
    freshPairs: markOf(stored.get("freshPairs"), isPair),
    freshBegan: markOf(stored.get("freshBegan"), isInteger),
    purgeDeliveries: markOf(stored.get("purgeDeliveries"), isPair),
    purgeMessages: markOf(stored.get("purgeMessages"), isInteger),
    foldStats: markOf(stored.get("foldStats"), isPair),
    purgeStats: markOf(stored.get("purgeStats"), isPair),
  };
}

/** Records every walk's mark, in one statement; a mark may move back (a walk that reached the end starts again). */
export async function writeWalkMarks(db: D1Database, marks: WalkMarks): Promise<void> {
  const rows = Object.keys(FROM_THE_FIRST).map((name) => {
    const mark = marks[name as keyof WalkMarks];
    return [name, mark === null ? null : JSON.stringify(mark)];
  });
  await db
    .prepare(
      `INSERT INTO sweeper_walks (name, after) SELECT value ->> 0, value ->> 1 FROM json_each(?1) WHERE true
       ON CONFLICT (name) DO UPDATE SET after = excluded.after`,
    )
    .bind(JSON.stringify(rows))
    .run();
}
