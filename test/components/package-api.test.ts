/**
 * components/API.md is generated from the JSDoc (`npm run docs:api`): it must match what the code
 * says today, and the generator must pick up what a reader needs (args, defaults, docs).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { API_DOC, renderApiReference, unexportedApiTypes } from "../../scripts/api-reference";

const FIXTURE = path.resolve(__dirname, "fixtures", "component-package");

describe("components/API.md", () => {
  it("is what `npm run docs:api` generates from the code today (run it and commit the result when this fails)", () => {
    expect(readFileSync(API_DOC, "utf8")).toBe(renderApiReference());
  }, 120_000);

  it("names no checker-internal symbol (`__@NAME@<id>` numbers change from run to run, so the file would drift)", () => {
    expect(readFileSync(API_DOC, "utf8")).not.toMatch(/__@\w+@\d+/);
  });
});

describe("the package's public API", () => {
  it("names no type the entry point does not export (a consumer could see it in a signature but not import it)", () => {
    expect(unexportedApiTypes(), "export these from components/index.ts").toEqual([]);
  }, 120_000);

  it("the check reports a type an exported signature names but the entry does not export", () => {
    expect(unexportedApiTypes(FIXTURE)).toEqual(["GreetingStyle (used by greet)"]);
  }, 60_000);
});

describe("the API reference generator", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "api-ref-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("documents a component's constructor, outputs, and its args with types, defaults and JSDoc", () => {
    const doc = renderApiReference(FIXTURE);
    expect(doc).toContain("new Greeter(name: string, args: GreeterArgs, opts?: pulumi.ComponentResourceOptions)");
    expect(doc).toContain("| `message` | `pulumi.Output<string>` | The rendered greeting. |");
    expect(doc).toContain("| `count?` | `number` | 1 | How many times to greet. |");
    expect(doc).toContain("| `greeting` | `pulumi.Input<string>` | required | Plain data of every kind the analyzer infers. |");
  }, 60_000);

  it("changes when a JSDoc comment changes (so the drift test above can fail)", () => {
    const copy = path.join(scratch, "pkg");
    cpSync(FIXTURE, copy, { recursive: true });
    const before = renderApiReference(copy);
    const index = path.join(copy, "index.ts");
    writeFileSync(index, readFileSync(index, "utf8").replace("How many times to greet.", "How often to greet."));
    const after = renderApiReference(copy);
    expect(after).not.toBe(before);
    expect(after).toContain("How often to greet.");
  }, 60_000);
});
