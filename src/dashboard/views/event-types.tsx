import type { FC } from "hono/jsx";
import type { EventTypeRecord } from "../../schemas/event-types";
import { Badge } from "./components";
import { Layout, type PageContext } from "./layout";

/** The group of an event type in the dashboard: the part of its name before the first dot. */
function groupOf(name: string): string {
  const dot = name.indexOf(".");
  return dot === -1 ? name : name.slice(0, dot);
}

/** Event types by group, groups in name order (the catalogue comes in name order, so each group's types are too). */
function groupByPrefix(types: EventTypeRecord[]): Array<[string, EventTypeRecord[]]> {
  const groups = new Map<string, EventTypeRecord[]>();
  for (const type of types) {
    const group = groupOf(type.name);
    const list = groups.get(group);
    if (list) list.push(type);
    else groups.set(group, [type]);
  }
  return [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A type's flags as badges: enforced schema, deprecated. */
const TypeBadges: FC<{ type: EventTypeRecord }> = ({ type }) => (
  <>
    {type.enforce && type.schema !== null && <Badge kind="enforced" label="Schema enforced" />}
    {type.deprecated && <Badge kind="deprecated" label="Deprecated" />}
  </>
);

/**
 * The endpoint form's choice of catalogued event types: one checkbox per type (name `event_type`),
 * grouped by the part before the first dot, each with its description. Nothing when the catalogue
 * is empty.
 */
export const EventTypeChoices: FC<{ types: EventTypeRecord[]; checked: string[] }> = ({ types, checked }) => {
  if (types.length === 0) return null;
  return (
    <fieldset class="field event-choices" id="event_types" aria-describedby="event_types-hint">
      <legend>Event types</legend>
      <p class="hint" id="event_types-hint">
        The platform's event types. Tick the ones this endpoint receives, or add patterns below; with none at all it receives every event.
      </p>
      {groupByPrefix(types).map(([group, members]) => (
        <fieldset class="event-group" data-group={group}>
          <legend>{group}</legend>
          {members.map((type) => (
            <label class="event-choice">
              <input type="checkbox" name="event_type" value={type.name} checked={checked.includes(type.name)} />
              <span>
                <code>{type.name}</code> <TypeBadges type={type} />
                {type.description && <span class="muted small event-description">{type.description}</span>}
              </span>
            </label>
          ))}
        </fieldset>
      ))}
    </fieldset>
  );
};

/** JSON shown on a page, indented. */
const JsonBlock: FC<{ value: unknown; label: string }> = ({ value, label }) => (
  <pre class="payload" aria-label={label} tabindex={0}>
    {JSON.stringify(value, null, 2)}
  </pre>
);

/** `/dashboard/event-types`: every catalogued type, grouped, with its description, schema and example. */
export const EventTypesPage: FC<{ page: PageContext; types: EventTypeRecord[] }> = ({ page, types }) => (
  <Layout title="Event types" page={page}>
    <div class="page-head">
      <h1>Event types</h1>
    </div>
    {types.length === 0 ? (
      <section class="card empty">
        <p>The platform has not published a catalogue of event types. Endpoints may still subscribe to any event type or pattern.</p>
      </section>
    ) : (
      groupByPrefix(types).map(([group, members]) => (
        <section class="event-type-group" aria-labelledby={`group-${group}`}>
          <h2 id={`group-${group}`}>{group}</h2>
          {members.map((type) => (
            <article class="card event-type" id={`type-${type.name}`} data-testid="event-type">
              <div class="card-head">
                <h3>
                  <code>{type.name}</code>
                </h3>
                <span>
                  <TypeBadges type={type} />
                </span>
              </div>
              {type.description ? <p>{type.description}</p> : <p class="muted">No description.</p>}
              <div class="grid-2">
                <div>
                  <h4>Schema</h4>
                  {type.schema === null ? <p class="muted">No schema.</p> : <JsonBlock value={type.schema} label={`Schema of ${type.name}`} />}
                </div>
                <div>
                  <h4>Example</h4>
                  {type.example === null ? <p class="muted">No example.</p> : <JsonBlock value={type.example} label={`Example of ${type.name}`} />}
                </div>
              </div>
            </article>
          ))}
        </section>
      ))
    )}
  </Layout>
);
