/**
 * What Linux's /proc says about CPU time (proc(5)), for the bench's figures: this process's finished
 * children, and the time the hypervisor gave other guests. Each is undefined off Linux.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc's CPU times. */
const CLOCK_TICKS = ((): number => {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  return Number(out.stdout?.trim()) || 100;
})();

/**
 * CPU seconds (user + system) of this process's finished children, from /proc/self/stat (cutime and
 * cstime: children waited for, their own waited-for children included); undefined off Linux.
 */
export function childrenCpuSeconds(): number | undefined {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of proc(5), counted from 1: here 3 fewer (pid, comm and state come before).
    return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds the hypervisor gave other guests, all cores (/proc/stat `steal`, field 8 of the `cpu`
 * line; proc(5)): a busy host lengthens every wall time without any CPU time of ours; undefined off Linux.
 */
export function hostStealSeconds(stat: string | undefined = readProcStat()): number | undefined {
  const fields = stat?.match(/^cpu +(.*)$/m)?.[1]?.trim().split(/\s+/).map(Number);
  const steal = fields?.[7];
  return steal !== undefined && Number.isFinite(steal) ? steal / CLOCK_TICKS : undefined;
}

function readProcStat(): string | undefined {
  try {
    return readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
}
