/**
 * What checking one group of keywords found, and what a schema evaluated: shared by one validation
 * run (src/lib/schema-validation.ts) and its per-type keyword checks (src/lib/schema-keywords.ts).
 */

/** Nothing wrong, a failure (go on reporting), or stop now; ordered so the worse is the larger. */
export const OK = 0;
export const FAILED = 1;
export const STOP = 2;
export type Outcome = typeof OK | typeof FAILED | typeof STOP;

/** The worse of two outcomes. */
export const worse = (a: Outcome, b: Outcome): Outcome => (a > b ? a : b);

/** The outcome of one keyword group so far; `failed` notes a failure and says whether to stop. */
export interface Tally {
  outcome: Outcome;
  /** `message` null: a subschema failed and has reported for itself. */
  failed(message: string | null): boolean;
}

/** Which properties and items a schema and its in-place subschemas evaluated (for `unevaluated*`). */
export interface Evaluated {
  properties: Set<string>;
  /** Items below this index were evaluated (prefixItems, items). */
  itemsBelow: number;
  /** Items evaluated one by one (contains). */
  items: Set<number>;
}

export const newEvaluated = (): Evaluated => ({ properties: new Set(), itemsBelow: 0, items: new Set() });

/** Adds what `from` evaluated to `into`; its cost is `from`'s size (Validation.merge charges it). */
export function mergeEvaluated(into: Evaluated, from: Evaluated): void {
  for (const p of from.properties) into.properties.add(p);
  for (const i of from.items) into.items.add(i);
  into.itemsBelow = Math.max(into.itemsBelow, from.itemsBelow);
}
