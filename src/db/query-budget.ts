/**
 * How many D1 queries a piece of work may still make. Cloudflare caps D1 at 1,000 queries per Worker
 * invocation on Workers Paid (https://developers.cloudflare.com/d1/platform/limits/, "Queries per
 * Worker invocation"); the query that passes the cap fails, so work that may grow past it (the cron
 * sweeper over every shard) counts its queries and stops before, where it can resume next time.
 *
 * A statement inside `db.batch([...])` is charged as one query each: the limits page applies the
 * limits for individual queries to each statement of a batch (cloudflare/cloudflare-docs#17015) and
 * does not say a batch counts as one, so the count is an upper bound, as test/operation-caps.test.ts
 * counts.
 */
export class QueryBudget {
  #left: number;
  readonly #parent: QueryBudget | undefined;

  /** @param queries how many queries this budget allows (Infinity: no cap) */
  constructor(queries: number, parent?: QueryBudget) {
    this.#left = Math.max(0, queries);
    this.#parent = parent;
  }

  /** Queries still allowed: this budget's own, or fewer if the budget it is a portion of has fewer. */
  get left(): number {
    return Math.min(this.#left, this.#parent?.left ?? Infinity);
  }

  /** Whether `queries` more fit: a step of several queries (a batch) asks for all of them before it sends the first. */
  allows(queries = 1): boolean {
    return queries <= this.left;
  }

  /**
   * Counts `queries` about to be sent, here and in every budget this is a portion of.
   * @throws RangeError when they do not fit, before anything is counted: a caller asks `allows` first,
   *   so this only fires on a step that forgot to, and never between the statements of one batch.
   */
  charge(queries = 1): void {
    if (!this.allows(queries)) throw new RangeError(`D1 query budget spent: ${queries} more asked, ${this.left} left`);
    this.#left -= queries;
    this.#parent?.charge(queries);
  }

  /** A portion of at most `queries` of what is left: what it spends is spent here too. */
  portion(queries: number): QueryBudget {
    return new QueryBudget(Math.min(queries, this.left), this);
  }
}

/** A budget for work that runs outside the sweeper (tests, the bench, a single API call): no cap. */
export function unlimitedQueries(): QueryBudget {
  return new QueryBudget(Infinity);
}
