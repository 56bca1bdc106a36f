import { Hono, type Context } from "hono";
import { ApiError } from "../../errors";
import { deliveryLog } from "../../ops/deliveries";
import { endpointActivity, endpointStats } from "../../ops/endpoint-stats";
import {
  createEndpoint,
  deleteEndpoint,
  endpointSecret,
  examplePayload,
  getEndpoint,
  listEndpoints,
  rotateEndpointSecret,
  sendTestEvent,
  TEST_EVENT,
  updateEndpoint,
} from "../../ops/endpoints";
import { testEventChoices, wholeCatalogue } from "../../ops/event-types";
import { assertAllowedTarget, assertHeadersFitSignature } from "../../ops/guards";
import { RotateSecretBody, type CreateEndpointInput, type UpdateEndpointInput } from "../../schemas/endpoints";
import { secretView } from "../../secrets";
import {
  endpointValues,
  errorsByField,
  newEndpointValues,
  readEndpointForm,
  validateCreate,
  validateUpdate,
  type EndpointFormValues,
  type FieldErrors,
  type FormResult,
} from "../endpoint-form";
import type { DashboardEnv } from "../env";
import { redirectWithNotice } from "../flash";
import { pathId } from "../path-id";
import { pageContext, pageProps, render } from "../render";
import { currentSession } from "../session";
import { statusFilter } from "../views/delivery-log";
import { DeleteEndpointPage, EndpointFormPage } from "../views/endpoint-form";
import { EndpointsPage } from "../views/endpoint-list";
import { EndpointPage } from "../views/endpoint-page";
import { TestEventPage } from "../views/test-event";

const ENDPOINTS_PER_PAGE = 50;
const DELIVERIES_PER_PAGE = 20;

const endpointId = (c: Context<DashboardEnv>) => pathId(c, "Endpoint");

/** The signed-in tenant's endpoint named in the path, or a 404 (also for another tenant's id). */
function endpointOf(c: Context<DashboardEnv>) {
  return getEndpoint(c.env, currentSession(c).tenantId, endpointId(c));
}

/** The issues of a guard that throws the API's 400 (target not allowed, header clash), as form errors. */
async function guardErrors(check: () => void | Promise<void>): Promise<FieldErrors> {
  try {
    await check();
    return {};
  } catch (error) {
    if (error instanceof ApiError && error.status === 400 && error.issues) return errorsByField(error.issues);
    throw error;
  }
}

/**
 * Everything wrong with a submitted endpoint form, or null: the API schema's messages, plus the
 * target guard's and the signature-header check's, all shown at once.
 */
async function formErrors(c: Context<DashboardEnv>, values: EndpointFormValues, result: FormResult<CreateEndpointInput | UpdateEndpointInput>) {
  const errors: FieldErrors = result.ok ? {} : { ...result.errors };
  if (!errors.url) Object.assign(errors, await guardErrors(() => assertAllowedTarget(c.env, values.url.trim(), "url")));
  if (result.ok) {
    const { headers = {}, signature = { scheme: "standard" as const } } = result.body;
    Object.assign(errors, await guardErrors(() => assertHeadersFitSignature(headers, signature)));
  }
  return Object.keys(errors).length > 0 ? errors : null;
}

/** Why a test event was refused, as one line: the message, then each issue (a payload's schema mismatches). */
function refusal(error: ApiError): string {
  const issues = (error.issues ?? []).map((i) => `${i.path}: ${i.message}`);
  return issues.length > 0 ? `${error.message}. ${issues.join("; ")}` : error.message;
}

/** Endpoints: list, create, edit, delete, secret, test event. */
export const endpointRoutes = new Hono<DashboardEnv>()
  .get("/", async (c) => {
    const { tenantId } = currentSession(c);
    const [page, activity] = await Promise.all([
      listEndpoints(c.env, tenantId, { limit: ENDPOINTS_PER_PAGE, cursor: c.req.query("cursor") }),
      endpointActivity(c.env, tenantId),
    ]);
    return render(
      c,
      <EndpointsPage
        {...pageProps(c, "endpoints")}
        endpoints={page.data}
        outcomes={activity.byEndpoint}
        hours={activity.series}
        nextCursor={page.next_cursor}
      />,
    );
  })
  .get("/endpoints/new", async (c) => {
    const eventTypes = await wholeCatalogue(c.env);
    return render(c, <EndpointFormPage page={pageContext(c, "endpoints")} endpoint={null} values={newEndpointValues()} errors={{}} eventTypes={eventTypes} />);
  })
  .post("/endpoints/new", async (c) => {
    const values = readEndpointForm(await c.req.parseBody({ all: true }));
    const result = validateCreate(values);
    const errors = await formErrors(c, values, result);
    if (errors || !result.ok) {
      const eventTypes = await wholeCatalogue(c.env);
      return render(c, <EndpointFormPage page={pageContext(c, "endpoints")} endpoint={null} values={values} errors={errors ?? {}} eventTypes={eventTypes} />, 400);
    }
    const { id, signature } = await createEndpoint(c.env, currentSession(c).tenantId, result.body);
    return redirectWithNotice(c, `/dashboard/endpoints/${id}?secret=shown#secret`, signature.scheme === "ed25519" ? "created-ed25519" : "created");
  })
  .get("/endpoints/:id", async (c) => {
    const endpoint = await endpointOf(c);
    const { tenantId } = currentSession(c);
    const status = statusFilter(c.req.query("status"));
    const [secrets, stats, log] = await Promise.all([
      endpointSecret(c.env, tenantId, endpoint.id),
      endpointStats(c.env, tenantId, endpoint.id, "24h"),
      deliveryLog(c.env, tenantId, { endpoint_id: endpoint.id, status, limit: DELIVERIES_PER_PAGE, cursor: c.req.query("cursor") }),
    ]);
    const { secret, previous, public_key } = await secretView(secrets);
    return render(
      c,
      <EndpointPage
        {...pageProps(c, "endpoints")}
        endpoint={endpoint}
        secret={c.req.query("secret") === "shown" ? secret : null}
        publicKey={public_key ?? null}
        previousUntil={previous.map((p) => p.expires_at).sort()}
        stats={stats}
        deliveries={log.data}
        status={status}
        nextCursor={log.next_cursor}
      />,
    );
  })
  .get("/endpoints/:id/secret", async (c) => {
    // The view, not the stored set: an ed25519 endpoint's private key is never shown, only its public key.
    const { secret } = await secretView(await endpointSecret(c.env, currentSession(c).tenantId, endpointId(c)));
    return c.json({ secret });
  })
  .post("/endpoints/:id/secret/rotate", async (c) => {
    const endpoint = await endpointOf(c);
    const grace = (await c.req.parseBody()).grace_period_seconds;
    const parsed = RotateSecretBody.safeParse({ grace_period_seconds: Number(grace) });
    if (!parsed.success) throw new ApiError(400, "validation_failed", "Choose how long the old secret keeps signing");
    await rotateEndpointSecret(c.env, currentSession(c).tenantId, endpoint.id, parsed.data.grace_period_seconds);
    return redirectWithNotice(c, `/dashboard/endpoints/${endpoint.id}?secret=shown#secret`, endpoint.signature.scheme === "ed25519" ? "key-rotated" : "secret-rotated");
  })
  .get("/endpoints/:id/test", async (c) => {
    const [endpoint, catalogue] = await Promise.all([endpointOf(c), wholeCatalogue(c.env)]);
    const choices = testEventChoices(endpoint, catalogue);
    // `?event=` picks the type the form starts from (a link from elsewhere, or the page without its script).
    const values = choices.find((choice) => choice.event === c.req.query("event")) ?? choices[0]!;
    return render(c, <TestEventPage page={pageContext(c, "endpoints")} endpoint={endpoint} choices={choices} values={values} error={null} />);
  })
  .post("/endpoints/:id/test", async (c) => {
    const endpoint = await endpointOf(c);
    const form = await c.req.parseBody();
    // The endpoint page's one-click button sends neither field: webhook.test with the example payload.
    const values = {
      event: typeof form.event === "string" ? form.event : TEST_EVENT,
      payload: typeof form.payload === "string" ? form.payload : examplePayload(endpoint.id, TEST_EVENT),
    };
    try {
      await sendTestEvent(c.env, currentSession(c).tenantId, endpoint.id, values);
    } catch (error) {
      if (!(error instanceof ApiError) || (error.status !== 400 && error.status !== 413 && error.status !== 422)) throw error;
      const choices = testEventChoices(endpoint, await wholeCatalogue(c.env));
      const page = <TestEventPage page={pageContext(c, "endpoints")} endpoint={endpoint} choices={choices} values={values} error={refusal(error)} />;
      return render(c, page, 400);
    }
    return redirectWithNotice(c, `/dashboard/endpoints/${endpoint.id}#deliveries`, "test-sent");
  })
  .get("/endpoints/:id/edit", async (c) => {
    const [endpoint, eventTypes] = await Promise.all([endpointOf(c), wholeCatalogue(c.env)]);
    const values = endpointValues(endpoint, new Set(eventTypes.map((t) => t.name)));
    return render(c, <EndpointFormPage page={pageContext(c, "endpoints")} endpoint={endpoint} values={values} errors={{}} eventTypes={eventTypes} />);
  })
  .post("/endpoints/:id/edit", async (c) => {
    const endpoint = await endpointOf(c);
    const values = readEndpointForm(await c.req.parseBody({ all: true }));
    const result = validateUpdate(values);
    const errors = await formErrors(c, values, result);
    if (errors || !result.ok) {
      const eventTypes = await wholeCatalogue(c.env);
      return render(c, <EndpointFormPage page={pageContext(c, "endpoints")} endpoint={endpoint} values={values} errors={errors ?? {}} eventTypes={eventTypes} />, 400);
    }
    await updateEndpoint(c.env, currentSession(c).tenantId, endpoint.id, result.body);
    return redirectWithNotice(c, `/dashboard/endpoints/${endpoint.id}`, "updated");
  })
  .get("/endpoints/:id/delete", async (c) => {
    const endpoint = await endpointOf(c);
    return render(c, <DeleteEndpointPage page={pageContext(c, "endpoints")} endpoint={endpoint} />);
  })
  .post("/endpoints/:id/delete", async (c) => {
    await deleteEndpoint(c.env, currentSession(c).tenantId, endpointId(c));
    return redirectWithNotice(c, "/dashboard", "deleted");
  });
