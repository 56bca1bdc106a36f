import type { FC } from "hono/jsx";
import type { EventTypeRecord } from "../../schemas/event-types";
import { filterPathNotes } from "../endpoint-form";
import type { FormState } from "./endpoint-form-advanced";
import { Field, fieldAria } from "./components";

const HINT =
  'Only payloads that pass get a delivery, as JSON: {"amount": {"$gte": 100}, "customer.plan": {"$in": ["pro"]}}. ' +
  "Dotted paths; operators $eq $ne $gt $gte $lt $lte $in $nin $exists $startsWith $endsWith $contains; $and, $or, $not combine. " +
  "Types are never converted. Empty for every payload.";

/** The endpoint form's payload filter, with a note for each listened-to event type whose schema lacks a path the filter reads. */
export const FilterField: FC<FormState & { eventTypes: EventTypeRecord[] }> = ({ values, errors, eventTypes }) => {
  const notes = filterPathNotes(values, eventTypes);
  return (
    <Field name="filter" label="Payload filter" hint={HINT} errors={errors.filter}>
      <textarea id="filter" name="filter" rows={4} spellcheck={false} {...fieldAria("filter", { hint: true, errors: errors.filter })}>
        {values.filter}
      </textarea>
      {notes.length > 0 && (
        <ul class="hint filter-notes" id="filter-notes">
          {notes.map((note) => (
            <li>
              The schema of <code>{note.eventType}</code> does not declare {note.paths.map((p, i) => [i > 0 ? ", " : "", <code>{p}</code>])}: its
              payloads may not have {note.paths.length === 1 ? "this path" : "these paths"}. Saved all the same, as schemas change.
            </li>
          ))}
        </ul>
      )}
    </Field>
  );
};
