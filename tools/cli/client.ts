import { createClient, EdgehookError, type EdgehookClient } from "../../packages/client/src/index.ts";

export type { Schema } from "../../packages/client/src/index.ts";

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

/**
 * The CLI's way to the relay: paths built from the command line, sent through @edgehook/client (its
 * credentials, timeout, retries and Idempotency-Key), JSON in, JSON out; failures are EdgehookErrors.
 */
export class ApiClient {
  readonly #edgehook: EdgehookClient;

  constructor(baseUrl: string, token: string) {
    this.#edgehook = createClient({ baseUrl, apiKey: token, timeoutMs: REQUEST_TIMEOUT_MS });
  }

  /** Sends one request; resolves to the parsed JSON body, or null for 204. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await this.requestText(method, path, options);
    return (text ? JSON.parse(text) : null) as T;
  }

  /**
   * Sends one request; resolves to the JSON body as text, for callers that must see it exactly
   * (a payload's numbers change once parsed).
   */
  async requestText(method: string, path: string, options: RequestOptions = {}): Promise<string> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(name, String(value));
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    const body = options.bodyText ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.#edgehook.fetch(query.size ? `${path}?${query}` : path, { method, headers, body });
    const text = await response.text();
    if (text) checkJson(text, response.status);
    return text;
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

function checkJson(text: string, status: number): void {
  try {
    JSON.parse(text);
  } catch (cause) {
    throw new EdgehookError({ status, code: "not_json", message: `The relay answered ${status} with a body that is not JSON`, cause });
  }
}
