// What `npm run dev` prints once the relay answers: where it really listens, the admin token and
// the links to start from. Kept apart from dev.mjs so its wording is tested without a relay.
import { existsSync, readFileSync } from "node:fs";

/**
 * The admin token the dev relay runs with: a `--var ADMIN_TOKEN:…` flag wins, then the vars file
 * (`varsFile`: `--env-file`, or `.dev.vars`); undefined when neither sets one. `args` are wrangler
 * dev's flags as given to `npm run dev --`.
 */
export function adminTokenOf(args: string[], varsFile: string): string | undefined {
  let fromFlag: string | undefined;
  args.forEach((arg, i) => {
    const value = arg === "--var" ? args[i + 1] : arg.startsWith("--var=") ? arg.slice(6) : undefined;
    if (value?.startsWith("ADMIN_TOKEN:")) fromFlag = value.slice("ADMIN_TOKEN:".length);
  });
  if (fromFlag !== undefined) return fromFlag;
  if (!existsSync(varsFile)) return undefined;
  const line = /^ADMIN_TOKEN\s*=\s*"?([^"\n]*)"?\s*$/m.exec(readFileSync(varsFile, "utf8"));
  return line?.[1];
}

/** Where the dev relay runs, as the banner tells it. */
export interface DevRelay {
  /** Where the relay answers, e.g. `http://localhost:8787`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The port it takes when free (8787). */
  preferredPort: number;
  /** Whether the caller gave `--port` (then nothing was "taken"). */
  portChosen: boolean;
  adminToken?: string;
}

/** The banner's lines, blank first and last. */
export function devBanner({ url, port, preferredPort, portChosen, adminToken }: DevRelay): string[] {
  const lines = ["", `Edgehook relay ready on ${url}`];
  if (!portChosen && port !== preferredPort) {
    lines.push(
      `  Port ${preferredPort} was taken (another relay?), so this one listens on ${port}.`,
      `  The CLI, the docs and the examples assume ${preferredPort}: export EDGEHOOK_URL=${url}`,
    );
  }
  lines.push(
    `  Admin token  ${adminToken ?? "(none: set ADMIN_TOKEN in .dev.vars)"}`,
    `  Dashboard    ${url}/dashboard`,
    `  API docs     ${url}/docs`,
    `  Try it       npm run demo${url.endsWith(`:${preferredPort}`) ? "" : ` -- --url ${url}`}`,
    "",
  );
  return lines;
}
