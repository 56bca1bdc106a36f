-- The event-type catalogue (GET/POST /v1/event-types): one row per event type the platform sends,
-- shared by every tenant. Enqueue reads a type's row only when checking payloads (src/ops/event-type-checks.ts).
CREATE TABLE event_types (
  name         TEXT PRIMARY KEY,             -- the event type, e.g. invoice.paid (src/schemas/fields.ts EventType)
  description  TEXT NOT NULL,
  schema       TEXT,                         -- JSON Schema draft 2020-12, as JSON text; NULL = none
  example      TEXT,                         -- an example payload, as JSON text; NULL = none
  enforce      INTEGER NOT NULL DEFAULT 0,   -- 1: enqueue refuses payloads that do not match schema (422)
  deprecated   INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL              -- changes on every edit: compiled validators are cached under (name, updated_at)
);
