import type { FC, PropsWithChildren } from "hono/jsx";
import type { DashboardSession } from "../../db/dashboard-sessions";
import { CsrfField, Notice } from "./components";
import { Icon } from "./icons";

/** What every page needs from the request. */
export interface PageContext {
  session: DashboardSession | null;
  /** Whether the browser also holds an operator session (admin token): the operator view is a link away. */
  operator: boolean;
  csrfToken: string;
  /** The CSP nonce of this response, for the one script tag. */
  nonce: string | undefined;
  /** This page's path and query: where a form on it may ask to come back to. */
  location: string;
  /** Which top-level section is current, for the navigation. */
  section?: "endpoints" | "deliveries" | "event-types" | "operator";
}

/** Notices shown once after a redirect (src/dashboard/flash.ts): fixed texts, never echoed input. */
const NOTICES = {
  created: "Endpoint created. Its signing secret is below.",
  "created-ed25519": "Endpoint created. Its public key is below: receivers verify with it.",
  updated: "Endpoint saved.",
  deleted: "Endpoint deleted.",
  "secret-rotated": "Signing secret regenerated.",
  "key-rotated": "Signing key regenerated: the new public key is below.",
  "test-sent": "Test event sent. Its delivery is listed below.",
  replayed: "Delivery replayed: it is being sent again.",
  "message-cancelled": "Message cancelled: its deliveries not attempted yet will not be sent; ones already attempted are as they were.",
  "signed-out": "You are signed out.",
} as const;

/** The name of one notice. */
export type NoticeKey = keyof typeof NOTICES;

/** The notice text for a key, or null for an unknown key. */
export function noticeText(key: string | undefined): string | null {
  return key && Object.hasOwn(NOTICES, key) ? NOTICES[key as keyof typeof NOTICES] : null;
}

const NavLink: FC<PropsWithChildren<{ href: string; current: boolean }>> = ({ href, current, children }) => (
  <a href={href} aria-current={current ? "page" : undefined}>
    {children}
  </a>
);

/**
 * The page shell: head, top bar with navigation and sign-out, main landmark. `refreshSeconds`
 * makes the page reload itself while something on it is still changing.
 */
export const Layout: FC<PropsWithChildren<{ title: string; page: PageContext; notice?: string | null; refreshSeconds?: number }>> = ({
  title,
  page,
  notice,
  refreshSeconds,
  children,
}) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {/* A page showing deliveries in flight reloads itself: no script, so the CSP stays as strict. */}
      {refreshSeconds !== undefined && <meta http-equiv="refresh" content={String(refreshSeconds)} />}
      <title>{`${title} · Webhooks dashboard`}</title>
      <link rel="icon" href="/dashboard/assets/favicon.svg" type="image/svg+xml" />
      <link rel="stylesheet" href="/dashboard/assets/dashboard.css" />
      <script src="/dashboard/assets/dashboard.js" nonce={page.nonce} defer></script>
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="wrap">
          <a class="brand" href="/dashboard">
            <Icon name="logo" />
            Edgehook <span>Webhooks</span>
          </a>
          {page.operator && (
            <nav aria-label="Operator">
              <NavLink href="/dashboard/operator" current={page.section === "operator"}>
                Operator
              </NavLink>
            </nav>
          )}
          {page.session && (
            <nav aria-label="Dashboard">
              <NavLink href="/dashboard" current={page.section === "endpoints"}>
                Endpoints
              </NavLink>
              <NavLink href="/dashboard/deliveries" current={page.section === "deliveries"}>
                Deliveries
              </NavLink>
              <NavLink href="/dashboard/event-types" current={page.section === "event-types"}>
                Event types
              </NavLink>
            </nav>
          )}
          {page.session && (
            <span class="tenant" title={`Tenant ${page.session.tenantId}`}>
              {page.session.tenantName}
            </span>
          )}
          {(page.session || page.operator) && (
            <form class="sign-out" method="post" action="/dashboard/sign-out">
              <CsrfField token={page.csrfToken} />
              <button type="submit" class="button small">
                Sign out
              </button>
            </form>
          )}
        </div>
      </header>
      <main id="main" class="wrap" tabindex={-1}>
        {notice && <Notice kind="success">{notice}</Notice>}
        {children}
      </main>
      <div id="announcer" class="visually-hidden" aria-live="polite"></div>
    </body>
  </html>
);
