import type { FC } from "hono/jsx";
import { CsrfField, fieldAria, Notice } from "./components";
import { Layout, type PageContext } from "./layout";

/** `/dashboard/sign-in`: a tenant API key opens a session; the admin token opens the operator view. */
export const SignInPage: FC<{ page: PageContext; notice: string | null; error?: string }> = ({ page, notice, error }) => (
  <Layout title="Sign in" page={page} notice={notice}>
    <section class="card auth" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <p class="muted">Manage where your webhooks go and see what was delivered.</p>
      {error && (
        <Notice kind="error">{error}</Notice>
      )}
      <form method="post" action="/dashboard/sign-in">
        <CsrfField token={page.csrfToken} />
        <div class="field">
          <label for="api_key">API key</label>
          <p class="hint" id="api_key-hint">
            Starts with <code>ehk_</code>. Or open the dashboard link your platform gave you. Operators: the admin token.
          </p>
          <input
            type="password"
            id="api_key"
            name="api_key"
            required
            autocomplete="off"
            spellcheck={false}
            {...fieldAria("api_key", { hint: true, errors: error ? [error] : undefined })}
          />
        </div>
        <button type="submit" class="button primary">
          Sign in
        </button>
      </form>
    </section>
  </Layout>
);

/**
 * `/dashboard/portal?token=…`: the landing page of a portal link. Opening the link does not use
 * it up; the button does (a POST), so link previewers and mail scanners cannot burn it.
 */
export const PortalPage: FC<{ page: PageContext; token: string | null; error?: string }> = ({ page, token, error }) => (
  <Layout title="Open dashboard" page={page}>
    <section class="card auth" aria-labelledby="portal-title">
      <h1 id="portal-title">Your webhooks dashboard</h1>
      {error || !token ? (
        <>
          <Notice kind="error">{error ?? "This link is incomplete."}</Notice>
          <p class="muted">Ask for a new dashboard link, or sign in with an API key.</p>
          <a class="button" href="/dashboard/sign-in">
            Sign in with an API key
          </a>
        </>
      ) : (
        <>
          <p class="muted">This link works once and expires soon. Continue to open the dashboard.</p>
          <form method="post" action="/dashboard/portal">
            <CsrfField token={page.csrfToken} />
            <input type="hidden" name="token" value={token} />
            <button type="submit" class="button primary">
              Continue to the dashboard
            </button>
          </form>
        </>
      )}
    </section>
  </Layout>
);

/** Any error as a page: what went wrong and where to go next. */
export const ErrorPage: FC<{ page: PageContext; title: string; message: string }> = ({ page, title, message }) => (
  <Layout title={title} page={page}>
    <section class="card auth" aria-labelledby="error-title">
      <h1 id="error-title">{title}</h1>
      <p>{message}</p>
      <a class="button" href="/dashboard">
        Back to the dashboard
      </a>
    </section>
  </Layout>
);
