import { describe, expect, it } from "vitest";
import { checkStack, rule, set, type StackRes } from "../harness";
import { T, classicApp, flexApp, storageAccount } from "../resources";

const policy = rule("web-basic-auth-off");
const app: StackRes = { type: T.app, name: "orders-app", props: flexApp };
const ftp = (allow: unknown, linked = true): StackRes => ({
  type: T.ftp,
  name: "orders-ftp",
  props: { name: "contoso-func-orders-p", resourceGroupName: "contoso-platform-p", allow },
  ...(linked ? { deps: { name: ["orders-app"] } } : {}),
});
const scm = (allow: unknown): StackRes => ({
  type: T.scm,
  name: "orders-scm",
  props: { name: "contoso-func-orders-p", resourceGroupName: "contoso-platform-p", allow },
  deps: { name: ["orders-app"] },
});

describe("web-basic-auth-off", () => {
  it("passes an app with FTP and SCM basic auth off", () => {
    expect(checkStack(policy, [app, ftp(false), scm(false)])).toEqual({ violations: [], applicable: true });
  });

  it("links the policies by the site name when there is no dependency", () => {
    expect(checkStack(policy, [app, ftp(false, false), scm(false)]).violations).toEqual([]);
  });

  it("flags an app without WebAppFtpAllowed", () => {
    const { violations } = checkStack(policy, [app, scm(false)]);
    expect(violations).toEqual([
      { name: "orders-app", message: expect.stringMatching(/web app "orders-app" has no web:WebAppFtpAllowed: add one with allow: false/) },
    ]);
  });

  it("flags allow: true on the SCM policy", () => {
    const { violations } = checkStack(policy, [app, ftp(false), scm(true)]);
    expect(violations).toEqual([{ name: "orders-scm", message: expect.stringMatching(/web:WebAppScmAllowed "orders-scm" .* has allow true: set allow: false/) }]);
  });

  it("does not count another app's policies", () => {
    const other: StackRes = { type: T.app, name: "legacy-app", props: classicApp };
    const { violations } = checkStack(policy, [app, other, ftp(false), scm(false)]);
    expect(violations.map((v) => v.name)).toEqual(["legacy-app", "legacy-app"]);
  });

  it("does not match a same-named site in another resource group", () => {
    const elsewhere = set(ftp(false, false).props, "resourceGroupName", "other-rg");
    const { violations } = checkStack(policy, [app, { type: T.ftp, name: "x", props: elsewhere }, scm(false)]);
    expect(violations).toHaveLength(1);
  });

  it("does not apply to a stack without web apps", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });
});
