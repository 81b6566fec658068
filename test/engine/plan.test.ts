/**
 * engine/plan.ts evaluateProgram: what it changes in the process while a program runs, and that it
 * puts it back.
 */
import { describe, expect, it } from "vitest";
import { evaluateProgram } from "../../engine/plan";

describe("evaluateProgram and the host's stack formatting", () => {
  it("sets Error.prepareStackTrace aside while the program runs, restores it, and an error made meanwhile is still formatted by the host", async () => {
    const host = Error.prepareStackTrace;
    // vitest maps every stack through source maps: the cost the evaluation avoids for Pulumi's own stacks.
    expect(typeof host).toBe("function");
    let during: unknown = "not run";
    let made: Error | undefined;
    await evaluateProgram({
      project: "p",
      stack: "s",
      program: () => {
        during = Error.prepareStackTrace;
        made = new Error("made during the evaluation");
        return {};
      },
    });
    expect(during).toBeUndefined();
    expect(Error.prepareStackTrace).toBe(host);
    // A stack is formatted when first read: after the evaluation, by the host again (vitest's frames
    // name the test file as written, source-mapped).
    expect(made?.stack).toMatch(/plan\.test\.ts:\d+:\d+/);
  });
});
