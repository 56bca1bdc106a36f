import { createRoute } from "@hono/zod-openapi";
import { createEventType, deleteEventType, getEventType, listEventTypes, updateEventType } from "../ops/event-types";
import { CATALOGUE_CACHE_TTL_MS } from "../ops/event-type-checks";
import { adminOnly, anyPrincipal } from "../security/auth";
import { errorResponses, PageQuery, pageOf } from "../schemas/common";
import { CreateEventTypeBody, EventTypeParams, EventTypeSchema, UpdateEventTypeBody } from "../schemas/event-types";
import { createApi, jsonBody, jsonResponse } from "./api";

const tags = ["Event types"];
const takesEffect =
  `A change takes effect for the next enqueue handled by the same Worker instance, and everywhere within ${CATALOGUE_CACHE_TTL_MS / 1000} s.`;

/** The event-type catalogue: the admin token writes it, any tenant key may read it. */
export const eventTypesApi = createApi()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      operationId: "createEventType",
      middleware: [adminOnly()],
      tags,
      summary: "Add an event type to the catalogue",
      description:
        "`schema` must be a valid JSON Schema (draft 2020-12; 400 `invalid_schema` otherwise, also for a `pattern` with a backreference or lookaround " +
        "and for `$ref`s or `allOf`/`anyOf` that apply more than 1,000 schemas to one value) and `example`, when both are given, must match it " +
        "(400 `example_mismatch`). With `enforce: true`, enqueue answers 422 `payload_schema_mismatch` for payloads of this type that do not match. " +
        takesEffect,
      request: { body: jsonBody(CreateEventTypeBody) },
      responses: { 201: jsonResponse(EventTypeSchema, "The event type"), ...errorResponses(400, 401, 403, 409, 413, 415) },
    }),
    async (c) => c.json(await createEventType(c.env, c.req.valid("json")), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      operationId: "listEventTypes",
      middleware: [anyPrincipal()],
      tags,
      summary: "List the event-type catalogue, in name order",
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(EventTypeSchema, "EventTypePage"), "A page of event types"), ...errorResponses(400, 401) },
    }),
    async (c) => c.json(await listEventTypes(c.env, c.req.valid("query")), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{name}",
      operationId: "getEventType",
      middleware: [anyPrincipal()],
      tags,
      summary: "Get an event type",
      request: { params: EventTypeParams },
      responses: { 200: jsonResponse(EventTypeSchema, "The event type"), ...errorResponses(400, 401, 404) },
    }),
    async (c) => c.json(await getEventType(c.env, c.req.valid("param").name), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{name}",
      operationId: "updateEventType",
      middleware: [adminOnly()],
      tags,
      summary: "Change an event type",
      description:
        "Fields sent are changed; `schema: null` and `example: null` remove them. The example is checked against the schema the type has after " +
        `the change. ${takesEffect}`,
      request: { params: EventTypeParams, body: jsonBody(UpdateEventTypeBody) },
      responses: { 200: jsonResponse(EventTypeSchema, "The event type"), ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
    }),
    async (c) => c.json(await updateEventType(c.env, c.req.valid("param").name, c.req.valid("json")), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{name}",
      operationId: "deleteEventType",
      middleware: [adminOnly()],
      tags,
      summary: "Remove an event type from the catalogue",
      description: `Messages of that type are accepted as any uncatalogued type is. ${takesEffect}`,
      request: { params: EventTypeParams },
      responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      await deleteEventType(c.env, c.req.valid("param").name);
      return c.body(null, 204);
    },
  );
