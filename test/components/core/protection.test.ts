import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { LOCK_NOTES, lockResource, protectedOptions } from "../../../components/core/protection";
import { evaluate, ofType, one } from "../../helpers/plan";

class Holder extends pulumi.ComponentResource {
  constructor(name: string, protect: boolean) {
    super("test:index:Holder", name, {});
    lockResource(`${name}-thing`, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st", protect, { parent: this });
    this.registerOutputs({});
  }
}

describe("protectedOptions", () => {
  it.each([
    [true, { protect: true, retainOnDelete: true }],
    [false, {}],
  ])("protect=%s adds %o to the child options and keeps the parent", (protect, extra) => {
    const parent = {} as pulumi.Resource;
    const base = { parent };
    const merged = protectedOptions(protect, base);
    expect(merged).toEqual({ parent, ...extra });
    expect(base).toEqual({ parent }); // never mutates the caller's object
  });
});

describe("lockResource", () => {
  it("creates a CanNotDelete lock scoped to the resource, with a note, under the parent", async () => {
    const plan = await evaluate(() => {
      new Holder("h", true);
    });
    const lock = one(plan, "azure-native:authorization:ManagementLockByScope");
    expect(lock.name).toBe("h-thing-lock");
    expect(lock.inputs).toEqual({
      scope: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st",
      level: "CanNotDelete",
      lockName: "protect-data",
      notes: LOCK_NOTES,
    });
    expect(lock.parent).toMatch(/test:index:Holder::h$/);
  });

  it("creates nothing when protection is off", async () => {
    const plan = await evaluate(() => {
      new Holder("h", false);
    });
    expect(ofType(plan, "azure-native:authorization:ManagementLockByScope")).toHaveLength(0);
  });
});
