/**
 * engine/plan.ts: the provider SDK's API-version aliases are dropped under the simulator (they cost
 * half an evaluation and the plan records none); aliases a program writes itself are kept.
 */
import * as pulumi from "@pulumi/pulumi";
import * as web from "@pulumi/azure-native/web";
import { describe, expect, it } from "vitest";
import { evaluateProgram, withoutProviderVersionAliases } from "../../engine/plan";

/** The aliases Pulumi collapsed to URNs in the resource's constructor (an internal field at runtime). */
const collapsedAliases = (resource: pulumi.Resource): unknown[] => (resource as unknown as { __aliases: unknown[] }).__aliases;

describe("withoutProviderVersionAliases", () => {
  const transform = (type: string, aliases: pulumi.Input<string | pulumi.Alias>[]): readonly unknown[] | undefined =>
    withoutProviderVersionAliases({ resource: undefined as unknown as pulumi.Resource, type, name: "x", props: {}, opts: { aliases } })?.opts.aliases;

  it("drops `{ type: <package>:<module>/<version>:<Name> }` of the resource's own type and keeps every other alias", () => {
    const kept = [{ name: "old-name" }, { type: "azure-native:storage:StorageAccount" }, { type: "azure-native:web/v20220301:WebAppSlot" }, { type: "azure-native:web/v20220301:WebApp", name: "renamed" }, "urn:pulumi:s::p::t::n"];
    expect(transform("azure-native:web:WebApp", [{ type: "azure-native:web/v20150801:WebApp" }, ...kept, { type: "azure-native:web/v20260715:WebApp" }])).toEqual(kept);
  });

  it("changes nothing when there is no such alias", () => {
    expect(transform("azure-native:web:WebApp", [{ name: "old-name" }])).toBeUndefined();
    expect(withoutProviderVersionAliases({ resource: undefined as unknown as pulumi.Resource, type: "t:m:R", name: "x", props: {}, opts: {} })).toBeUndefined();
  });

  it("under evaluateProgram, a WebApp keeps none of the SDK's aliases and the program's own alias", async () => {
    let plain: web.WebApp | undefined;
    let renamed: web.WebApp | undefined;
    await evaluateProgram({
      project: "p",
      stack: "s",
      program: () => {
        plain = new web.WebApp("plain", { resourceGroupName: "rg" });
        renamed = new web.WebApp("renamed", { resourceGroupName: "rg" }, { aliases: [{ name: "old-name" }] });
        return {};
      },
    });
    expect(collapsedAliases(plain!)).toHaveLength(0);
    expect(collapsedAliases(renamed!)).toHaveLength(1);
  });
});
