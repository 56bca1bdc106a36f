import type { components } from "./api-types.ts";

/** The API's schema `Name` as /openapi.json describes it (generated into api-types.ts by `npm run types:cli`). */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

/** The one error shape of the Edgehook API. */
export type ApiErrorBody = Schema<"Error">;

/** The relay answered with an error status. */
export class ApiResponseError extends Error {
  readonly status: number;
  readonly body: ApiErrorBody;

  constructor(status: number, body: ApiErrorBody) {
    super(body.error.message);
    this.name = "ApiResponseError";
    this.status = status;
    this.body = body;
  }
}

/** The relay could not be reached, or did not answer in time. */
export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionError";
  }
}

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  /** A value to send as JSON. */
  body?: unknown;
  /** JSON text to send as it is, instead of `body`. */
  bodyText?: string;
  query?: Query;
  headers?: Record<string, string>;
}

const REQUEST_TIMEOUT_MS = 30_000;

/** A thin client of the Edgehook HTTP API: JSON in, JSON out, errors as exceptions. */
export class ApiClient {
  readonly baseUrl: string;
  readonly #token: string;

  constructor(baseUrl: string, token: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.#token = token;
  }

  /** Sends one request; resolves to the parsed JSON body, or null for 204. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const { status, text } = await this.#exchange(method, path, options);
    return (text ? parseJson(text, status) : null) as T;
  }

  /**
   * Sends one request; resolves to the JSON body as text, for callers that must see it exactly
   * (a payload's numbers change once parsed).
   */
  async requestText(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    const { status, text } = await this.#exchange(method, path, options);
    if (text) parseJson(text, status);
    return text;
  }

  /** One HTTP exchange; error statuses and unreachable relays become exceptions. */
  async #exchange(method: string, path: string, options: RequestOptions): Promise<{ status: number; text: string }> {
    const url = new URL(this.baseUrl + path);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}`, accept: "application/json", ...options.headers };
    const body = options.bodyText ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      const cause = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
      throw new ConnectionError(`Cannot reach the relay at ${this.baseUrl}: ${cause}`);
    }
    const text = await response.text();
    if (!response.ok) {
      const error = text ? parseJson(text, response.status) : null;
      throw new ApiResponseError(response.status, isErrorBody(error) ? error : { error: { code: "http_error", message: `HTTP ${response.status}` } });
    }
    return { status: response.status, text };
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>("GET", path, { query });
  }

  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.request<T>("POST", path, { body, headers });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("PATCH", path, { body });
  }

  delete(path: string): Promise<null> {
    return this.request<null>("DELETE", path);
  }

  /** Every item of a paginated list, following `next_cursor` (or one page when `all` is false). */
  async list<T>(path: string, query: Query, all: boolean): Promise<{ data: T[]; next_cursor: string | null }> {
    const data: T[] = [];
    let cursor = query.cursor as string | undefined;
    for (;;) {
      const page = await this.get<{ data: T[]; next_cursor: string | null }>(path, { ...query, cursor });
      data.push(...page.data);
      if (!all || !page.next_cursor) return { data, next_cursor: page.next_cursor };
      cursor = page.next_cursor;
    }
  }
}

function parseJson(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiResponseError(status, { error: { code: "not_json", message: `The relay answered ${status} with a body that is not JSON` } });
  }
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  const error = (body as ApiErrorBody | null)?.error;
  return typeof error?.code === "string" && typeof error.message === "string";
}
