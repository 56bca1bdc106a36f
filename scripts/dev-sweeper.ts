// The cron trigger's stand-in under `npm run dev`: `wrangler dev` never fires `[triggers] crons` by
// itself (only `--test-scheduled`'s /__scheduled route does, when called), so without this the
// sweeper (re-arming deliveries a crash left pending, retention, auto-disable) waits for a human.

/** The cron expression wrangler.toml schedules the sweeper on; passed to the scheduled handler as is. */
const CRON = "* * * * *";

/**
 * Calls the Worker's scheduled handler at `baseUrl`/__scheduled every `everySeconds` until stopped.
 * A call that fails (the relay still starting or restarting) is skipped quietly: the next one comes
 * `everySeconds` later. Returns a function that stops the calls.
 *
 * @param baseUrl the relay's origin, e.g. "http://localhost:8787"
 * @param everySeconds interval in seconds; 0 starts nothing
 */
export function runSweeperEvery(baseUrl: string, everySeconds: number): () => void {
  if (everySeconds <= 0) return () => {};
  const url = `${baseUrl}/__scheduled?cron=${encodeURIComponent(CRON)}`;
  const timer = setInterval(() => {
    fetch(url).then((res) => res.body?.cancel(), () => {});
  }, everySeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
