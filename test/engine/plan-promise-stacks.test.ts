import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, it } from "vitest";
import { evaluateProgram } from "../../engine/plan";

/** Pulumi's own module, as engine/plan.ts patches it (the exports object its modules call through). */
const debuggable = createRequire(__filename)("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
};
/** The stack Pulumi records on the promise it is given (it returns a chained one). */
function recordedStack(): string {
  const p = Promise.resolve(1);
  void debuggable.debuggablePromise(p, "test");
  return (p as unknown as { _debugStackTrace: string })._debugStackTrace;
}

interface Seen {
  promiseStack?: string;
  programErrorStack?: string;
}

async function evaluateAndLook(): Promise<Seen> {
  const seen: Seen = {};
  await evaluateProgram({
    project: "serverless-platform",
    stack: "test",
    program: () => {
      new pulumi.ComponentResource("test:index:Thing", "thing");
      seen.promiseStack = recordedStack();
      seen.programErrorStack = new Error("a bug of ours").stack;
      return {};
    },
  });
  return seen;
}

afterEach(() => {
  delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
});

describe("evaluation: Pulumi's per-promise debug stacks", () => {
  it("are captured without frames while the program runs; the program's own errors keep their stacks", async () => {
    const original = debuggable.debuggablePromise;
    const seen = await evaluateAndLook();
    expect(seen.promiseStack).toMatch(/^Error/);
    expect(seen.promiseStack).not.toMatch(/\n\s+at /);
    expect(seen.programErrorStack).toMatch(/^Error: a bug of ours\n\s+at /);
    // Restored afterwards: the same function, and stacks with frames again.
    expect(debuggable.debuggablePromise).toBe(original);
    expect(recordedStack()).toMatch(/\n\s+at /);
  });

  it("keep their frames when PULUMI_DEBUG_PROMISE_LEAKS asks for Pulumi's leak report", async () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    const seen = await evaluateAndLook();
    expect(seen.promiseStack).toMatch(/\n\s+at /);
  });
});

describe("evaluation: Pulumi's source position of each resource", () => {
  const stackTraceOf = (): ((skip: number) => unknown[]) => (pulumi.Resource as unknown as { stackTrace: (skip: number) => unknown[] }).stackTrace;

  it("is not computed while the program runs (nothing reads it under mocks) and is restored afterwards", async () => {
    const original = stackTraceOf();
    let during: unknown[] | undefined;
    const plan = await evaluateProgram({
      project: "serverless-platform",
      stack: "test",
      program: () => {
        new pulumi.ComponentResource("test:index:Thing", "thing");
        during = stackTraceOf()(0);
        return {};
      },
    });
    expect(during).toEqual([]);
    expect(plan.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack", "test:index:Thing"]);
    expect(stackTraceOf()).toBe(original);
    expect(stackTraceOf()(0).length).toBeGreaterThan(0);
  });
});
