import { Hono } from "hono";
import { wholeCatalogue } from "../../ops/event-types";
import type { DashboardEnv } from "../env";
import { pageContext, render } from "../render";
import { EventTypesPage } from "../views/event-types";

/** The event-type catalogue, read-only: what each type means, its schema and an example. */
export const eventTypeRoutes = new Hono<DashboardEnv>().get("/event-types", async (c) =>
  render(c, <EventTypesPage page={pageContext(c, "event-types")} types={await wholeCatalogue(c.env)} />),
);
