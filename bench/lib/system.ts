import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

/** The machine, and how busy it was, so readers can weigh the figures. */
export interface MachineLoad {
  cpus: number;
  cpuModel: string;
  /** 1, 5 and 15 minute load averages. */
  loadavg: [number, number, number];
}

/** The machine's CPU count, model and load averages right now. */
export function machineLoad(): MachineLoad {
  const [one, five, fifteen] = os.loadavg();
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? "unknown", loadavg: [round2(one!), round2(five!), round2(fifteen!)] };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** CPU seconds used so far, per process group the bench cares about (Linux /proc; empty elsewhere). */
export type CpuSample = { at: number; byGroup: Record<string, number>; machineBusy: number };

/** Cores used on average between two samples, per group, plus the whole machine. */
export type CpuUse = Record<string, number>;

const TICKS_PER_SECOND = 100;

interface ProcStat {
  ppid: number;
  name: string;
  cpuSeconds: number;
}

function readProcs(): Map<number, ProcStat> {
  const procs = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // Fields after the name: state ppid … utime (12th) stime (13th).
      procs.set(Number(entry), { ppid: Number(fields[1]), name, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND });
    } catch {
      // the process ended while we looked
    }
  }
  return procs;
}

function descendsFrom(procs: Map<number, ProcStat>, pid: number, root: number): boolean {
  for (let current = pid, depth = 0; current > 1 && depth < 32; depth++) {
    if (current === root) return true;
    current = procs.get(current)?.ppid ?? 0;
  }
  return false;
}

function machineBusySeconds(): number {
  // First line of /proc/stat: cpu user nice system idle iowait irq softirq steal …
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return (fields.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SECOND;
}

function mainThreadSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds so far of: workerd (every workerd under the relay's `wrangler dev`), wrangler (its
 * Node and esbuild processes), the receiver, and this process (the load generator). workerd runs
 * a process's JavaScript on its main thread, so the main threads are sampled apart: the Worker's
 * workerd (API, consumer and the local D1 and Queues simulations) and the workerd of wrangler's
 * proxy, which listens on the relay's port and forwards every request.
 */
export function sampleCpu(relay: { pid: number; port: number }, receiverPid: number): CpuSample | null {
  if (process.platform !== "linux") return null;
  const procs = readProcs();
  const byGroup: Record<string, number> = {
    workerd: 0,
    "worker thread": 0,
    "proxy thread": 0,
    wrangler: 0,
    receiver: 0,
    "load generator": 0,
  };
  for (const [pid, p] of procs) {
    if (pid === process.pid) byGroup["load generator"]! += p.cpuSeconds;
    else if (pid === receiverPid) byGroup.receiver! += p.cpuSeconds;
    else if (descendsFrom(procs, pid, relay.pid)) {
      if (p.name !== "workerd") {
        byGroup.wrangler! += p.cpuSeconds;
        continue;
      }
      byGroup.workerd! += p.cpuSeconds;
      let commandLine = "";
      try {
        commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        // ended meanwhile
      }
      byGroup[commandLine.includes(`entry=127.0.0.1:${relay.port}`) ? "proxy thread" : "worker thread"]! += mainThreadSeconds(pid);
    }
  }
  return { at: performance.now(), byGroup, machineBusy: machineBusySeconds() };
}

/** Average cores each group (and the machine: "machine") used between two samples. */
export function cpuBetween(before: CpuSample | null, after: CpuSample | null): CpuUse | null {
  if (!before || !after) return null;
  const seconds = (after.at - before.at) / 1000;
  const use: CpuUse = {};
  for (const [group, total] of Object.entries(after.byGroup)) use[group] = round2((total - (before.byGroup[group] ?? 0)) / seconds);
  use.machine = round2((after.machineBusy - before.machineBusy) / seconds);
  return use;
}
