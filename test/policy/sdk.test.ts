/**
 * The names the pack relies on, checked against the installed @pulumi/azure-native: type tokens
 * (3.x renamed documentdb → cosmosdb), the taggable types, and the name inputs the name rule reads.
 * Property names inside rules are checked by the compiler (validateResourceOfType types `props`).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { T } from "../../policy/rules/common";
import { NAMED_TYPES, TAGGABLE_TYPES } from "../../policy/rules/governance";
import { DIAGNOSED_TYPES } from "../../policy/rules/monitoring";

const SDK = path.dirname(require.resolve("@pulumi/azure-native/package.json"));

/** `azure-native:web:WebApp` → the class's module file and its Args interface body. */
function argsOf(token: string): { file: string; body: string } {
  const [, module, cls] = token.split(":") as [string, string, string];
  const file = path.join(SDK, module, `${cls[0]!.toLowerCase()}${cls.slice(1)}.d.ts`);
  const text = readFileSync(file, "utf8");
  const start = text.indexOf(`export interface ${cls}Args {`);
  if (start < 0) throw new Error(`${file} has no ${cls}Args`);
  return { file, body: text.slice(start, text.indexOf("\n}", start)) };
}

function runtimeToken(token: string): unknown {
  const [, module, cls] = token.split(":") as [string, string, string];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(`@pulumi/azure-native/${module}`) as Record<string, { __pulumiType?: string } | undefined>;
  return mod[cls]?.__pulumiType;
}

describe("type tokens and input names against the installed SDK", () => {
  it.each(Object.entries(T))("T.%s is a class of the SDK", (_key, token) => {
    expect(runtimeToken(token)).toBe(token);
  });

  it("uses cosmosdb, not documentdb, for Cosmos DB (azure-native 3.x)", () => {
    expect(T.DatabaseAccount).toBe("azure-native:cosmosdb:DatabaseAccount");
  });

  it.each(TAGGABLE_TYPES.map((t) => [t]))("%s takes tags", (token) => {
    expect(runtimeToken(token)).toBe(token);
    expect(argsOf(token).body).toMatch(/\n {4}tags\?: /);
  });

  it.each(["azure-native:storage:BlobContainer", "azure-native:authorization:RoleAssignment", "azure-native:monitor:DiagnosticSetting"].map((t) => [t]))(
    "%s takes no tags (so tags-required skips it)",
    (token) => {
      expect(argsOf(token).body).not.toMatch(/\n {4}tags\?: /);
      expect(TAGGABLE_TYPES).not.toContain(token);
    },
  );

  it.each(Object.entries(NAMED_TYPES))("%s has the name input %s", (token, key) => {
    expect(argsOf(token).body).toMatch(new RegExp(`\\n {4}${key}\\??: `));
  });

  it.each(Object.entries(DIAGNOSED_TYPES).map(([t, s]) => [t, s.nameKey]))("diag-to-law reads %s's name from %s", (token, key) => {
    expect(argsOf(token).body).toMatch(new RegExp(`\\n {4}${key}\\??: `));
  });
});
