// A CPU profile of the Worker's isolate inside workerd, taken over the DevTools protocol that
// `wrangler dev --inspector-port` exposes. It shows where the Worker's own JavaScript time goes
// (routing, validation, signing, JSON, waiting in the runtime) during a phase of the bench.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** A V8 CPU profile, as DevTools saves it (.cpuprofile). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** The functions with the most self time, with their share of all samples (idle included). */
export type ProfileSummary = Array<{ fn: string; selfPercent: number }>;

/** Connects to the Worker's inspector and drives the V8 profiler. */
export async function attachProfiler(inspectorPort: number): Promise<{ start: () => Promise<void>; stop: () => Promise<CpuProfile>; close: () => void }> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  // The inspector accepts local DevTools only: it checks the Origin header, which Node's WebSocket
  // (undici) lets a client set through an init object that the DOM typings do not know.
  const init = { headers: { origin: `http://127.0.0.1:${inspectorPort}` } } as unknown as string[];
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl, init);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve as (result: unknown) => void);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  await send("Profiler.setSamplingInterval", { interval: 500 });
  return {
    start: () => send("Profiler.start"),
    stop: async () => (await send<{ profile: CpuProfile }>("Profiler.stop")).profile,
    close: () => socket.close(),
  };
}

function nameOf(frame: ProfileNode["callFrame"]): string {
  const where = frame.url ? ` ${frame.url.replace(/^.*\//, "")}:${frame.lineNumber + 1}` : "";
  return `${frame.functionName || "(anonymous)"}${where}`;
}

/**
 * Self time per function, largest first. Frames without a URL are the runtime's own (its fetch,
 * D1 client, V8's "(idle)", "(program)", "(garbage collector)"); the Worker's are in its bundle.
 */
export function summarise(profile: CpuProfile, top = 15): ProfileSummary {
  const total = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0) || 1;
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const name = nameOf(node.callFrame);
    byName.set(name, (byName.get(name) ?? 0) + (node.hitCount ?? 0));
  }
  return [...byName.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, hits]) => ({ fn, selfPercent: Math.round((hits * 1000) / total) / 10 }));
}
