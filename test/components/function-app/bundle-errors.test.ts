/**
 * A service's code as the user meets its mistakes: a syntax error is one message at file:line:column
 * with the line and a caret; declared triggers must be what the bundle registers with the host.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BundleError,
  bundleService,
  checkDeclaredTriggers,
  registeredFunctions,
  type RegisteredFunction,
} from "../../../components/function-app/bundle";
import { isUserError } from "../../../components/core/user-error";

const FIXTURE = path.resolve(__dirname, "../../fixtures/services/hello");
// Inside the repo, so the fixture's npm imports resolve when bundled.
const temp = path.resolve(__dirname, "../../../.build/test-bundle-errors", String(process.pid));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function copyOfHello(name: string, edit: (dir: string) => void): string {
  const dir = path.join(temp, name);
  cpSync(FIXTURE, dir, { recursive: true });
  edit(dir);
  return dir;
}

function bundleError(fn: () => unknown): BundleError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BundleError);
    expect(isUserError(e)).toBe(true);
    return e as BundleError;
  }
  throw new Error("expected a BundleError");
}

describe("bundle errors name the file, line and column", () => {
  it("reports a syntax error as file:line:column with the line, a caret and the fix", () => {
    const dir = copyOfHello("syntax", (d) => writeFileSync(path.join(d, "src/greeting.ts"), "export function greeting(name: string): string {\n  return `Hello, ${name}` +;\n}\n"));
    const e = bundleError(() => bundleService({ name: "hello", directory: dir, outRoot: path.join(temp, "out") }));
    const file = path.relative(process.cwd(), path.join(dir, "src/greeting.ts"));
    expect(e.message).toBe(
      `${file}:2:28: Unexpected ";"\n  2 |   return \`Hello, \${name}\` +;\n${" ".repeat(33)}^\n` +
        'Service "hello" does not compile: fix the code at that place (npm run typecheck lists type errors too).',
    );
    expect(e.message).not.toMatch(/esbuild|BundleError|\n\s+at /);
  });

  it("reports an unresolved import at the importing line", () => {
    const dir = copyOfHello("import", (d) => writeFileSync(path.join(d, "src/greeting.ts"), 'import { x } from "./missing";\nexport const greeting = (n: string): string => `${x}${n}`;\n'));
    const e = bundleError(() => bundleService({ name: "hello", directory: dir, outRoot: path.join(temp, "out") }));
    expect(e.message.split("\n")[0]).toBe(`${path.relative(process.cwd(), path.join(dir, "src/greeting.ts"))}:1:19: Could not resolve "./missing"`);
  });

  it("names an invalid host.json and the fix", () => {
    const dir = copyOfHello("host", (d) => writeFileSync(path.join(d, "host.json"), "{ version: 2 }"));
    const e = bundleError(() => bundleService({ name: "hello", directory: dir, outRoot: path.join(temp, "out") }));
    expect(e.message).toMatch(new RegExp(`^${path.relative(process.cwd(), path.join(dir, "host.json")).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid JSON \\(.+\\); fix the file$`));
  });
});

describe("declared triggers are what the bundle registers", () => {
  it("lists the hello fixture's functions as the host would see them", () => {
    const bundle = bundleService({ name: "hello", directory: FIXTURE, outRoot: path.join(temp, "out-ok") });
    expect(registeredFunctions(bundle)).toEqual([
      { name: "hello", trigger: "httpTrigger", bindings: ["http"] },
      // The queue trigger's queueName: the code's own evidence for the policy pack's rbac-declared-use.
      { name: "helloQueue", trigger: "queueTrigger", bindings: [], queue: "hello-items" },
    ]);
    // Exactly the declared kinds pass, in any order.
    expect(() =>
      bundleService({ name: "hello", directory: FIXTURE, outRoot: path.join(temp, "out-ok"), declaredTriggers: { triggers: ["queue", "http"], manifestFile: "functions-src/hello/service.ts" } }),
    ).not.toThrow();
  });

  it("refuses a bundle whose registrations differ from the manifest, naming the manifest and the fix", () => {
    const e = bundleError(() =>
      bundleService({ name: "hello", directory: FIXTURE, outRoot: path.join(temp, "out-bad"), declaredTriggers: { triggers: ["http", "timer"], manifestFile: "functions-src/hello/service.ts" } }),
    );
    expect(e.message).toBe(
      'functions-src/hello/service.ts: src/index.ts registers queue (helloQueue) but triggers does not declare it; triggers declares "timer" but src/index.ts registers no such function ' +
        '(registered: http: hello; queue: helloQueue). Fix: triggers: ["http","queue"]',
    );
  });

  const fn = (name: string, trigger: string, bindings: string[] = []): RegisteredFunction => ({ name, trigger, bindings });
  const where = { manifestFile: "functions-src/shop/service.ts" };

  it.each([
    [["http"], [fn("a", "httpTrigger", ["http"])], undefined],
    [["queue", "durable"], [fn("start", "queueTrigger", ["durableClient"]), fn("run", "orchestrationTrigger"), fn("step", "activityTrigger")], undefined],
    [["queue"], [fn("start", "queueTrigger", ["durableClient"])], 'functions-src/shop/service.ts: src/index.ts registers durable (start) but triggers does not declare it (registered: queue: start; durable: start). Fix: triggers: ["queue","durable"]'],
    [["cosmosChangeFeed"], [fn("feed", "cosmosDBTrigger"), fn("tick", "timerTrigger")], 'functions-src/shop/service.ts: src/index.ts registers timer (tick) but triggers does not declare it (registered: cosmosChangeFeed: feed; timer: tick). Fix: triggers: ["cosmosChangeFeed","timer"]'],
    [["http"], [fn("upload", "blobTrigger")], "functions-src/shop/service.ts: src/index.ts registers functions with trigger(s) the platform does not provision: upload (blobTrigger); supported: http, queue, durable, cosmosChangeFeed, timer"],
    [["http"], [], "functions-src/shop/service.ts: src/index.ts registers no function; register them with app.http(...), app.storageQueue(...) etc. at module load"],
  ] as const)("declared %j, registered %j", (triggers, functions, message) => {
    const check = (): void => checkDeclaredTriggers({ ...where, triggers }, functions, "src/index.ts");
    if (message === undefined) expect(check).not.toThrow();
    else expect(check).toThrow(new BundleError(message));
  });

  it("reports code that throws while loading as the user's mistake", () => {
    const dir = copyOfHello("throws", (d) => writeFileSync(path.join(d, "src/greeting.ts"), 'throw new Error("config missing");\nexport const greeting = (n: string): string => n;\n'));
    mkdirSync(path.join(temp, "out-throws"), { recursive: true });
    const e = bundleError(() =>
      bundleService({ name: "hello", directory: dir, outRoot: path.join(temp, "out-throws"), declaredTriggers: { triggers: ["http", "queue"], manifestFile: "service.ts" } }),
    );
    expect(e.message).toMatch(/the service's code throws while loading, as it would on Azure \(no function would register\):\nError: config missing/);
  });
});
