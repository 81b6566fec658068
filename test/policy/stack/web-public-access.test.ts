import { describe, expect, it } from "vitest";
import { prodOnlyPolicyNames, stackPolicyNames } from "../../../policy/rules";
import { UNKNOWN_STRING, checkStack, rule, set, with_, type Props, type StackRes } from "../harness";
import { T, flexApp, storageAccount } from "../resources";

const policy = rule("web-public-access");
const AUTH = "azure-native:web:WebAppAuthSettingsV2";
const GATEWAY_PRINCIPAL = "6f1c0c53-6d7a-4c3b-9c39-0a6f0e0f0099";

/** A function app reachable from the internet: no private endpoint, no access restrictions. */
const publicApp = set(flexApp, "publicNetworkAccess", undefined);
const app = (props: Props, name = "orders-app"): StackRes => ({ type: T.app, name, props });

/** App Service authentication as the FunctionApp component writes it for an API behind the gateway. */
const gatewayOnlyAuth: Props = {
  name: "contoso-func-orders-p",
  resourceGroupName: "contoso-platform-p",
  platform: { enabled: true, runtimeVersion: "~1" },
  globalValidation: { requireAuthentication: true, unauthenticatedClientAction: "Return401", excludedPaths: ["/api/health"] },
  identityProviders: {
    azureActiveDirectory: {
      enabled: true,
      registration: { clientId: "6f1c0c53-6d7a-4c3b-9c39-0a6f0e0f0010" },
      validation: {
        allowedAudiences: ["api://orders"],
        defaultAuthorizationPolicy: { allowedPrincipals: { identities: [GATEWAY_PRINCIPAL] } },
      },
    },
  },
};
/**
 * The main-site cases waive every SCM endpoint, so each asserts the main site alone; the SCM
 * endpoint and the effective allow ranges have their own cases at the end.
 */
const SCM_WAIVER = { name: "*/scm", reason: "main-site cases: the SCM endpoint is tested separately below" };
const checkMain = (stack: readonly StackRes[]) => checkStack(policy, stack, { allow: [SCM_WAIVER] });

const auth = (props: Props, linked = true): StackRes => ({
  type: AUTH,
  name: "orders-auth",
  props,
  ...(linked ? { deps: { name: ["orders-app"] } } : {}),
});

describe("web-public-access", () => {
  it("is a prod-only stack policy (the auth settings are a separate resource)", () => {
    expect(stackPolicyNames).toContain("web-public-access");
    expect(prodOnlyPolicyNames).toContain("web-public-access");
  });

  describe("passes", () => {
    it.each<[string, Props]>([
      ['publicNetworkAccess "Disabled"', flexApp],
      [
        "default-deny access restrictions that allow the gateway",
        with_(publicApp, {
          "siteConfig.ipSecurityRestrictionsDefaultAction": "Deny",
          "siteConfig.ipSecurityRestrictions": [{ name: "apim", action: "Allow", tag: "ServiceTag", ipAddress: "ApiManagement", priority: 100 }],
        }),
      ],
      [
        "default-deny access restrictions without an allow rule (an app without HTTP triggers refuses every request)",
        with_(publicApp, { "siteConfig.ipSecurityRestrictionsDefaultAction": "Deny", "siteConfig.scmIpSecurityRestrictionsDefaultAction": "Allow" }),
      ],
    ])("%s", (_note, props) => {
      expect(checkMain([app(props)])).toEqual({ violations: [], applicable: true });
    });

    it("an APIM-only app: authentication required, 401 for anonymous calls, only the gateway's identity admitted", () => {
      expect(checkMain([app(publicApp), auth(gatewayOnlyAuth)])).toEqual({ violations: [], applicable: true });
    });

    it("APIM-only with allowed applications instead of principals, linked by site name, 403 for anonymous calls", () => {
      const byApp = with_(gatewayOnlyAuth, {
        "globalValidation.unauthenticatedClientAction": "Return403",
        "identityProviders.azureActiveDirectory.validation.defaultAuthorizationPolicy": { allowedApplications: ["6f1c0c53-6d7a-4c3b-9c39-0a6f0e0f0011"] },
      });
      expect(checkMain([app(publicApp), auth(byApp, false)]).violations).toEqual([]);
    });

    it("APIM-only while the gateway's principal id is unknown (preview)", () => {
      const unknownPrincipal = set(gatewayOnlyAuth, "identityProviders.azureActiveDirectory.validation.defaultAuthorizationPolicy.allowedPrincipals.identities", [UNKNOWN_STRING]);
      expect(checkMain([app(publicApp), auth(unknownPrincipal)]).violations).toEqual([]);
    });
  });

  describe("flags", () => {
    it.each<[string, Props, RegExp]>([
      ['publicNetworkAccess "Enabled"', set(flexApp, "publicNetworkAccess", "Enabled"), /publicNetworkAccess "Enabled", ipSecurityRestrictionsDefaultAction unset/],
      ["publicNetworkAccess unset", publicApp, /publicNetworkAccess unset/],
      [
        "default-deny access restrictions with an allow-all rule",
        with_(publicApp, {
          "siteConfig.ipSecurityRestrictionsDefaultAction": "Deny",
          "siteConfig.ipSecurityRestrictions": [{ name: "everyone", action: "Allow", ipAddress: "0.0.0.0/0", priority: 100 }],
        }),
        /allow every address \(rule "everyone"\)/,
      ],
    ])("%s", (_note, props, message) => {
      const { violations } = checkMain([app(props)]);
      expect(violations).toEqual([{ name: "orders-app", message: expect.stringMatching(message) }]);
      expect(violations[0]!.message).toMatch(/site "orders-app" is reachable from the whole internet .*APIM-only/);
    });

    it.each<[string, Props]>([
      ["authentication not required", set(gatewayOnlyAuth, "globalValidation.requireAuthentication", false)],
      ["anonymous callers redirected instead of refused", set(gatewayOnlyAuth, "globalValidation.unauthenticatedClientAction", "RedirectToLoginPage")],
      ["App Service authentication off", set(gatewayOnlyAuth, "platform.enabled", false)],
      ["the Entra ID provider off", set(gatewayOnlyAuth, "identityProviders.azureActiveDirectory.enabled", false)],
      ["any caller with a valid token admitted (no allowed principals or applications)", set(gatewayOnlyAuth, "identityProviders.azureActiveDirectory.validation.defaultAuthorizationPolicy", {})],
      ["an empty list of allowed principals", set(gatewayOnlyAuth, "identityProviders.azureActiveDirectory.validation.defaultAuthorizationPolicy.allowedPrincipals.identities", [])],
    ])("a public app whose auth settings are not APIM-only: %s", (_note, authProps) => {
      const { violations } = checkMain([app(publicApp), auth(authProps)]);
      expect(violations.map((v) => v.name)).toEqual(["orders-app"]);
    });

    it("does not count another app's auth settings", () => {
      const other = app(set(publicApp, "name", "contoso-func-fulfil-p"), "fulfillment-app");
      const { violations } = checkMain([app(publicApp), other, auth(gatewayOnlyAuth)]);
      expect(violations.map((v) => v.name)).toEqual(["fulfillment-app"]);
    });

    it("a slot (its auth settings are another resource type): only the network alternatives count", () => {
      const slot: StackRes = { type: T.slot, name: "orders-staging", props: { ...publicApp, slot: "staging" } };
      const { violations } = checkMain([slot, auth(gatewayOnlyAuth, false)]);
      expect(violations).toEqual([{ name: "orders-staging", message: expect.stringMatching(/^slot "orders-staging" is reachable/) }]);
    });
  });

  it("does not apply to a stack without web apps", () => {
    expect(checkMain([{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });

  describe("effective allow ranges", () => {
    const restricted = (ips: string[]): Props =>
      with_(publicApp, {
        "siteConfig.ipSecurityRestrictionsDefaultAction": "Deny",
        "siteConfig.ipSecurityRestrictions": ips.map((ip, i) => ({ name: `r${i}`, action: "Allow", ipAddress: ip, priority: 100 + i })),
      });

    it("flags two half-internet rules (0.0.0.0/1 + 128.0.0.0/1): together they are the internet", () => {
      const { violations } = checkMain([app(restricted(["0.0.0.0/1", "128.0.0.0/1"]))]);
      expect(violations).toEqual([{ name: "orders-app", message: expect.stringMatching(/allow rules \(0\.0\.0\.0\/1, 128\.0\.0\.0\/1\) that together cover every address\) and App Service authentication is off/) }]);
    });

    it("flags IPv6 halves (::/1 + 8000::/1)", () => {
      expect(checkMain([app(restricted(["::/1", "8000::/1"]))]).violations).toHaveLength(1);
    });

    it("flags the service tag Internet", () => {
      expect(checkMain([app(restricted(["Internet"]))]).violations).toHaveLength(1);
    });

    it("passes ranges with a gap (the internet is not covered)", () => {
      expect(checkMain([app(restricted(["0.0.0.0/1", "128.0.0.0/2", "203.0.113.0/24"]))]).violations).toEqual([]);
    });
  });

  describe("the SCM (Kudu) endpoint", () => {
    const closedMain = with_(publicApp, { "siteConfig.ipSecurityRestrictionsDefaultAction": "Deny" });

    it("flags an SCM site open to the internet even when the main site is closed", () => {
      const { violations } = checkStack(policy, [app(with_(closedMain, { "siteConfig.scmIpSecurityRestrictionsDefaultAction": "Allow" }))]);
      expect(violations).toEqual([{ name: "orders-app", message: expect.stringMatching(/site "orders-app" exposes its SCM \(Kudu\) endpoint to the whole internet \(scmIpSecurityRestrictionsDefaultAction "Allow"\).*waive "orders-app\/scm"/) }]);
    });

    it("flags an APIM-only app's SCM site: App Service authentication does not cover it", () => {
      const { violations } = checkStack(policy, [app(publicApp), auth(gatewayOnlyAuth)]);
      expect(violations).toEqual([{ name: "orders-app", message: expect.stringMatching(/SCM \(Kudu\).*does not cover the SCM site/) }]);
    });

    it("passes an SCM site that uses the main site's default-deny restrictions", () => {
      expect(checkStack(policy, [app(with_(closedMain, { "siteConfig.scmIpSecurityRestrictionsUseMain": true }))]).violations).toEqual([]);
    });

    it("passes an SCM site waived with a reason, and not one waived without", () => {
      const open = app(with_(closedMain, { "siteConfig.scmIpSecurityRestrictionsDefaultAction": "Allow" }));
      expect(checkStack(policy, [open], { allow: [{ name: "orders-app/scm", reason: "OneDeploy from CI publishes through Kudu" }] }).violations).toEqual([]);
      expect(checkStack(policy, [open], { allow: [{ name: "orders-app/scm", reason: "" }] }).violations).toHaveLength(1);
    });

    it("passes a site whose public network access is disabled (main and SCM)", () => {
      expect(checkStack(policy, [app(set(publicApp, "publicNetworkAccess", "Disabled"))]).violations).toEqual([]);
    });
  });
});
