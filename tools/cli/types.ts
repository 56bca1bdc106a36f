// The parts of the API's responses the CLI shows; /openapi.json is the full reference.

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKey {
  id: string;
  name: string | null;
  key_prefix: string;
  created_at: string;
  revoked_at: string | null;
  key?: string;
}

export interface Endpoint {
  id: string;
  url: string;
  name: string | null;
  description: string | null;
  events: string[];
  source: string | null;
  headers: Record<string, string>;
  enabled: boolean;
  disabled_reason: string | null;
  signature: { scheme: string; header?: string; prefix?: string };
  retry: { max_attempts?: number; schedule?: number[] };
  timeout_ms: number;
  created_at: string;
  updated_at: string;
  secret?: string;
}

/** An endpoint's or a tenant's signing secret, with the earlier ones still co-signing. */
export interface SigningSecret {
  secret: string;
  previous: Array<{ expires_at: string }>;
}

export interface DeliverySummary {
  id: string;
  message_id: string;
  endpoint_id: string | null;
  url: string | null;
  status: string;
  attempt_count: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface Attempt {
  attempt: number;
  outcome: string;
  status_code: number | null;
  error_kind: string | null;
  error: string | null;
  duration_ms: number;
  response_body: string | null;
  created_at: string;
}

export interface Delivery extends DeliverySummary {
  event: string;
  attempts: Attempt[];
}

export interface Enqueued {
  id: string;
  event: string;
  source: string | null;
  created_at: string;
  deliveries: Array<{ id: string; endpoint_id: string | null; status: string }>;
}

export interface Message {
  id: string;
  event: string;
  source: string | null;
  payload: unknown;
  created_at: string;
  deliveries: DeliverySummary[];
}

export interface MessageListItem {
  id: string;
  event: string;
  source: string | null;
  created_at: string;
}

export interface Replayed {
  deliveries: Array<{ id: string; status: string }>;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}
