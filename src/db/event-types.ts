import type { EventTypeRecord } from "../schemas/event-types";
import { decodeKeyCursor, encodeKeyCursor, iso } from "./pagination";

/** The event-type catalogue in the control database (`event_types`, migrations/control/0002). */

interface EventTypeRow {
  name: string;
  description: string;
  schema: string | null;
  example: string | null;
  enforce: number;
  deprecated: number;
  created_at: number;
  updated_at: number;
}

/** What enqueue needs of an enforced type: its schema's text and the version it was stored at (epoch ms). */
export interface EnforcedSchemaRow {
  name: string;
  schema: string;
  updated_at: number;
}

/** An event type as stored, before it is turned into the API's shape. */
export interface StoredEventType {
  name: string;
  description: string;
  schema: unknown;
  example: unknown;
  enforce: boolean;
  deprecated: boolean;
}

const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;

function toEventType(row: EventTypeRow): EventTypeRecord {
  return {
    name: row.name,
    description: row.description,
    schema: row.schema === null ? null : JSON.parse(row.schema),
    example: row.example === null ? null : JSON.parse(row.example),
    enforce: row.enforce === 1,
    deprecated: row.deprecated === 1,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/** JSON text of a stored value; null and undefined are stored as NULL (none). */
const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

/** Inserts an event type; returns null when the name is taken. */
export async function insertEventType(db: D1Database, type: StoredEventType, now: number): Promise<EventTypeRecord | null> {
  const row = await db
    .prepare(
      `INSERT INTO event_types (name, description, schema, example, enforce, deprecated, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING *`,
    )
    .bind(type.name, type.description, jsonOrNull(type.schema), jsonOrNull(type.example), type.enforce ? 1 : 0, type.deprecated ? 1 : 0, now, now)
    .first<EventTypeRow>();
  return row ? toEventType(row) : null;
}

/** One event type, or null. */
export async function getEventType(db: D1Database, name: string): Promise<EventTypeRecord | null> {
  const row = await db.prepare("SELECT * FROM event_types WHERE name = ?").bind(name).first<EventTypeRow>();
  return row ? toEventType(row) : null;
}

/**
 * Replaces an event type's fields, only if it is still at version `expectedUpdatedAt` (so two
 * concurrent edits cannot both pass the example check against different schemas). Its new
 * `updated_at` is `now`, or one more than the old one when the clock has not moved past it, so
 * every edit changes the version. Returns the new record, or null when it is gone or was changed
 * meanwhile.
 */
export async function replaceEventType(db: D1Database, type: StoredEventType, expectedUpdatedAt: number, now: number): Promise<EventTypeRecord | null> {
  const row = await db
    .prepare(
      `UPDATE event_types SET description = ?, schema = ?, example = ?, enforce = ?, deprecated = ?, updated_at = max(?, updated_at + 1)
       WHERE name = ? AND updated_at = ? RETURNING *`,
    )
    .bind(type.description, jsonOrNull(type.schema), jsonOrNull(type.example), type.enforce ? 1 : 0, type.deprecated ? 1 : 0, now, type.name, expectedUpdatedAt)
    .first<EventTypeRow>();
  return row ? toEventType(row) : null;
}

/** Deletes an event type; returns whether it existed. */
export async function deleteEventType(db: D1Database, name: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM event_types WHERE name = ?").bind(name).run();
  return result.meta.changes > 0;
}

/** A page of the catalogue in name order. A malformed cursor is a 400 `invalid_cursor`. */
export async function listEventTypes(db: D1Database, query: { limit: number; cursor?: string }) {
  const after = decodeKeyCursor(query.cursor, NAME_SHAPE);
  const { results } = await db
    .prepare("SELECT * FROM event_types WHERE (?1 IS NULL OR name > ?1) ORDER BY name LIMIT ?2")
    .bind(after, query.limit + 1)
    .all<EventTypeRow>();
  const page = results.slice(0, query.limit);
  const last = page[page.length - 1];
  return { data: page.map(toEventType), next_cursor: results.length > query.limit && last ? encodeKeyCursor(last.name) : null };
}

/**
 * The enforced schemas of the named types (those with a schema and `enforce` on): one read
 * whatever the number of names, the names travelling as one JSON parameter.
 */
export async function enforcedSchemas(db: D1Database, names: string[]): Promise<EnforcedSchemaRow[]> {
  const { results } = await db
    .prepare(
      `SELECT name, schema, updated_at FROM event_types
       WHERE name IN (SELECT value FROM json_each(?)) AND enforce = 1 AND schema IS NOT NULL`,
    )
    .bind(JSON.stringify(names))
    .all<EnforcedSchemaRow>();
  return results;
}
