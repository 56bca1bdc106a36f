import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where the browser tests look for Chromium (Debian's `chromium` package); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Launches headless Chromium for the browser tests. Playwright gives every launch a fresh
 * temporary profile (its own --user-data-dir) and every context its own cookies. A missing
 * Chromium is an error that says how to install it, never a silent skip.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}, which does not exist. ` +
        "Install it with `sudo apt-get install -y chromium` (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome binary. " +
        "(`npx playwright install` is not needed: the tests drive the system browser through playwright-core.)",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
    ],
  });
}
