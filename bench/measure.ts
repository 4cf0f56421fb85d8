// What a client process measures about itself, the same way on Node, Deno and Bun: CPU time
// (user + system, every thread: the JIT and GC threads are the client's cost too), peak
// resident memory, and the cores it may run on (to show the pinning took).
import { readFileSync } from "node:fs";
import process from "node:process";

function procStatus(): string | null {
  try {
    return readFileSync("/proc/self/status", "utf8");
  } catch {
    return null;
  }
}

/** Microseconds of CPU this process has used, all threads. */
export function cpuMicros(): number {
  try {
    const u = process.cpuUsage();
    return u.user + u.system;
  } catch {
    // /proc/self/stat fields 14 and 15: user and system clock ticks (100 per second on Linux).
    const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10_000;
  }
}

/** Peak resident set size in KiB: VmHWM where /proc exists, else getrusage's maxRSS. */
export function peakRssKiB(): number {
  const m = procStatus()?.match(/VmHWM:\s+(\d+)/);
  if (m) return Number(m[1]);
  return process.resourceUsage().maxRSS;
}

/** The cores this process may run on ("0" when pinned to core 0), or "?" off Linux. */
export function allowedCpus(): string {
  return procStatus()?.match(/Cpus_allowed_list:\s+(\S+)/)?.[1] ?? "?";
}

/** CPU seconds another process (the server) has used so far, or NaN when /proc cannot say. */
export function processCpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks: 100 per second on Linux
  } catch {
    return NaN;
  }
}
