import { describe, expect, it } from "vitest";
import { hostStealSeconds } from "../../../scripts/bench/proc";

describe("the bench's reading of the host's stolen CPU time", () => {
  it("reads the steal column of /proc/stat's cpu line (the 8th number; proc(5)) in seconds", () => {
    const ticks = 100;
    const stat = `cpu  4705 356 584 3699176 23060 0 277 ${65 * ticks} 0 0\ncpu0 1393280 32966 572056 13343292 6130 0 17875 1200 0 0\nintr 1 2 3\n`;
    // The kernel's clock ticks are 100 per second on Linux x86-64 and arm64 (getconf CLK_TCK).
    expect(hostStealSeconds(stat)).toBe(65);
    expect(hostStealSeconds("cpu0 1 2 3 4 5 6 7 8\n")).toBeUndefined();
    expect(hostStealSeconds("")).toBeUndefined(); // no /proc/stat (off Linux)
  });
});
