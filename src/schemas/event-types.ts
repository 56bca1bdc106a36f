import { z } from "@hono/zod-openapi";
import { MAX_DESCRIPTION_LENGTH, MAX_JSON_DEPTH, MAX_SCHEMA_DEPTH } from "../limits";
import { jsonDepthExceeds } from "../security/json-depth";
import { Timestamp } from "./common";
import { EventType, StoredText } from "./fields";

/** A JSON Schema draft 2020-12 (an object or a boolean); whether it is a valid one is checked by src/ops/event-types.ts. */
const JsonSchemaValue = z
  .union([z.record(z.string(), z.unknown()), z.boolean()])
  .refine((v) => !jsonDepthExceeds(v, MAX_SCHEMA_DEPTH), { message: `nests arrays and objects deeper than ${MAX_SCHEMA_DEPTH} levels` })
  .openapi({
    description: "A JSON Schema (draft 2020-12) that payloads of this type follow. `$ref`s must point inside the schema; `$dynamicRef` is not supported.",
    example: { type: "object", required: ["invoice_id", "amount"], properties: { invoice_id: { type: "string" }, amount: { type: "number" } } },
  });

const Description = StoredText.trim().max(MAX_DESCRIPTION_LENGTH);
const Example = z
  .unknown()
  .refine((v) => !jsonDepthExceeds(v, MAX_JSON_DEPTH), { message: `nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, as no payload may` })
  .openapi({ description: "An example payload; when there is a schema it must match it", example: { invoice_id: "inv_1", amount: 42.5 } });
const Enforce = z.boolean().openapi({ description: "When true and there is a schema, enqueue refuses (422) payloads of this type that do not match it" });
const Deprecated = z.boolean().openapi({ description: "Still accepted; marked so in the catalogue, the dashboard and the OpenAPI document" });

/** Path parameters of `/v1/event-types/{name}`. */
export const EventTypeParams = z.object({
  name: EventType.openapi({ param: { name: "name", in: "path" } }),
});

/** Body of `POST /v1/event-types`. */
export const CreateEventTypeBody = z
  .object({
    name: EventType,
    description: Description.default(""),
    schema: JsonSchemaValue.nullable().optional(),
    example: Example.optional(),
    enforce: Enforce.default(false),
    deprecated: Deprecated.default(false),
  })
  .strict()
  .openapi("CreateEventType");

/** Body of `PATCH /v1/event-types/{name}`: what is sent changes; `schema: null` or `example: null` removes it. */
export const UpdateEventTypeBody = z
  .object({
    description: Description.optional(),
    schema: JsonSchemaValue.nullable().optional(),
    example: Example.optional(),
    enforce: Enforce.optional(),
    deprecated: Deprecated.optional(),
  })
  .strict()
  .openapi("UpdateEventType");

/** An event type of the catalogue as the API returns it. */
export const EventTypeSchema = z
  .object({
    name: z.string().openapi({ example: "invoice.paid" }),
    description: z.string(),
    schema: JsonSchemaValue.nullable(),
    example: Example,
    enforce: z.boolean(),
    deprecated: z.boolean(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("EventType");

export type EventTypeRecord = z.infer<typeof EventTypeSchema>;
export type CreateEventTypeInput = z.output<typeof CreateEventTypeBody>;
export type UpdateEventTypeInput = z.output<typeof UpdateEventTypeBody>;
