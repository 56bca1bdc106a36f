import type { Child, FC, PropsWithChildren } from "hono/jsx";
import { CSRF_FIELD } from "../csrf";
import { formatTime } from "../format";
import { Icon } from "./icons";

/** The hidden field that every POST form of the dashboard needs. */
export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />;

/**
 * A banner. Success is announced politely; an error assertively, unless it describes a state
 * rather than something that just went wrong (`quiet`).
 */
export const Notice: FC<PropsWithChildren<{ kind: "success" | "error"; quiet?: boolean; class?: string }>> = (props) => (
  <div class={["notice", props.kind, props.class].filter(Boolean).join(" ")} role={props.kind === "error" && !props.quiet ? "alert" : "status"}>
    {props.children}
  </div>
);

/** A delivery, attempt or endpoint state as a labelled badge (text, not colour alone). */
export const Badge: FC<{ kind: string; label?: string }> = ({ kind, label }) => <span class={`badge ${kind}`}>{label ?? kind}</span>;

/** A URL that may wrap after its slashes rather than anywhere. */
export const BreakableUrl: FC<{ url: string }> = ({ url }) => (
  <code>
    {url.split(/(?<=\/)/).map((part, i) => (
      <>
        {i > 0 && <wbr />}
        {part}
      </>
    ))}
  </code>
);

/** A machine-readable timestamp shown in UTC. */
export const Time: FC<{ value: string | number }> = ({ value }) => (
  <time datetime={new Date(value).toISOString()}>{formatTime(value)}</time>
);

/**
 * A copy-to-clipboard icon button. It needs the client script, so it starts hidden and the
 * script reveals it; without script, the value is still on the page to copy by hand.
 */
export const CopyButton: FC<{ label: string; value?: string; url?: string; copied?: string; testId?: string }> = (props) => (
  <button
    type="button"
    class="icon-button"
    hidden
    data-copy={props.value}
    data-copy-url={props.url}
    data-copied={props.copied ?? "Copied"}
    data-testid={props.testId}
    aria-label={props.label}
    title={props.label}
  >
    <Icon name="copy" />
  </button>
);

/** What ties an input to its field's hint and errors, for assistive technology. */
export function fieldAria(name: string, field: { hint?: unknown; errors?: string[] }) {
  const ids = [field.hint ? `${name}-hint` : null, field.errors?.length ? `${name}-error` : null].filter(Boolean);
  return {
    "aria-describedby": ids.length ? ids.join(" ") : undefined,
    "aria-invalid": field.errors?.length ? ("true" as const) : undefined,
  };
}

/** A form field: label, hint, the input (which spreads `fieldAria` with the same name), errors. */
export const Field: FC<PropsWithChildren<{ name: string; label: string; hint?: Child; errors?: string[] }>> = ({
  name,
  label,
  hint,
  errors,
  children,
}) => (
  <div class="field">
    <label for={name}>{label}</label>
    {hint && (
      <p class="hint" id={`${name}-hint`}>
        {hint}
      </p>
    )}
    {children}
    {errors?.length ? (
      <div class="error" id={`${name}-error`}>
        {errors.map((e) => (
          <p>{e}</p>
        ))}
      </div>
    ) : null}
  </div>
);

/** The heading of a list's actions column, for screen readers only. */
export const ActionsHeading: FC = () => (
  <th scope="col">
    <span class="visually-hidden">Actions</span>
  </th>
);

/** The last cell of a list row: its buttons and links, right-aligned (first on small screens). */
export const RowActions: FC<PropsWithChildren> = ({ children }) => (
  <td class="row-actions">
    <div class="row-buttons">{children}</div>
  </td>
);

/**
 * The link to a list's next page, when there is one: `path` with `query` (undefined values left
 * out) and the `cursor`, then `hash`.
 */
export const Pager: FC<{ path: string; cursor: string | null; query?: Record<string, string | undefined>; hash?: string; label: string }> = ({
  path,
  cursor,
  query = {},
  hash = "",
  label,
}) => {
  if (!cursor) return null;
  const params = new URLSearchParams(Object.entries(query).flatMap(([name, value]) => (value === undefined ? [] : [[name, value]])));
  params.set("cursor", cursor);
  return (
    <div class="pager">
      <a href={`${path}?${params}${hash}`}>{label}</a>
    </div>
  );
};

/** A card of label–value pairs (`dt`/`dd` children) headed "Details"; `id` names its heading. */
export const DetailsCard: FC<PropsWithChildren<{ id: string }>> = ({ id, children }) => (
  <section class="card" aria-labelledby={id}>
    <h2 id={id}>Details</h2>
    <dl class="details">{children}</dl>
  </section>
);
