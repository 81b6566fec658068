import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  apiPolicy,
  cors,
  escapeXml,
  operationPolicy,
  policyDocument,
  publicProductPolicy,
  rateLimit,
  renderXml,
  setBackendService,
  validateJwt,
} from "../../../components/api-management/policies";

/** A parsed policy: nested elements, attributes as "@name", text as strings. */
interface XmlTree {
  readonly [key: string]: XmlTree;
}
const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", isArray: (name) => ["origin", "audience", "value", "header", "method", "issuer"].includes(name) });

/** Parses a policy (failing on malformed XML) and returns the object tree. */
function parse(xml: string): XmlTree {
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml) as XmlTree;
}

describe("escapeXml / renderXml", () => {
  it("escapes the five XML specials in attributes and text", () => {
    expect(escapeXml(`a&b<c>d"e'f`)).toBe("a&amp;b&lt;c&gt;d&quot;e&apos;f");
    const xml = renderXml({ name: "x", attributes: { v: `"><inject/>` }, children: [{ name: "y", text: "</y><evil/>" }] });
    const tree = parse(xml);
    expect(tree.x["@v"]).toBe(`"><inject/>`);
    expect(tree.x.y).toBe("</y><evil/>");
    expect(xml).not.toContain("<inject");
    expect(xml).not.toContain("<evil");
  });

  it("refuses element names that are not policy names", () => {
    expect(() => renderXml({ name: "a b" })).toThrow(/invalid policy element name/);
  });
});

describe("validateJwt", () => {
  it("validates Entra v2 tokens of one tenant with audiences and roles", () => {
    const xml = renderXml(validateJwt({ tenantId: TENANT, audiences: [`api://${CLIENT}`, CLIENT], requiredRoles: ["Orders.Read"] }));
    const v = parse(xml)["validate-jwt"];
    expect(v["@header-name"]).toBe("Authorization");
    expect(v["@failed-validation-httpcode"]).toBe("401");
    expect(v["@require-scheme"]).toBe("Bearer");
    expect(v["@require-signed-tokens"]).toBe("true");
    expect(v["@require-expiration-time"]).toBe("true");
    expect(v["openid-config"]["@url"]).toBe(`https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(v.audiences.audience).toEqual([`api://${CLIENT}`, CLIENT]);
    expect(v.issuers.issuer).toEqual([`https://login.microsoftonline.com/${TENANT}/v2.0`]);
    expect(v["required-claims"].claim["@name"]).toBe("roles");
    expect(v["required-claims"].claim["@match"]).toBe("any");
    expect(v["required-claims"].claim.value).toEqual(["Orders.Read"]);
  });

  it("refuses a tenant that is not a GUID and an empty audience list", () => {
    expect(() => validateJwt({ tenantId: "contoso", audiences: ["x"] })).toThrow(/tenantId must be a GUID/);
    expect(() => validateJwt({ tenantId: TENANT, audiences: [] })).toThrow(/at least one audience/);
  });
});

describe("cors / rate limits / backend", () => {
  it("lists exactly the configured origins", () => {
    const c = parse(renderXml(cors({ allowedOrigins: ["https://shop.contoso.example", "https://a.example?x=1&y=2"] }))).cors;
    expect(c["allowed-origins"].origin).toEqual(["https://shop.contoso.example", "https://a.example?x=1&y=2"]);
    expect(c["@allow-credentials"]).toBe("false");
  });

  it("refuses a rate-limit renewal period over 300 s", () => {
    expect(() => rateLimit({ calls: 10, renewalPeriodSeconds: 301 })).toThrow(/maximum of 300 s/);
  });

  it("refuses a plain-http backend", () => {
    expect(() => setBackendService({ baseUrl: "http://x.example" })).toThrow(/must be https/);
  });
});

describe("publicProductPolicy", () => {
  const limits = { rateLimit: { calls: 60, renewalPeriodSeconds: 60 }, quota: { calls: 10_000, renewalPeriodSeconds: 2_592_000 }, rateLimitKey: "subscription" as const };

  it("uses rate-limit + quota on Consumption", () => {
    const doc = publicProductPolicy("Consumption", limits);
    const inbound = parse(doc.xml).policies.inbound;
    expect(inbound.base).toBe("");
    expect(inbound["rate-limit"]).toEqual({ "@calls": "60", "@renewal-period": "60" });
    expect(inbound.quota).toEqual({ "@calls": "10000", "@renewal-period": "2592000" });
    expect(doc.policies).toEqual(["rate-limit", "quota"]);
  });

  it("uses rate-limit-by-key (per subscription) + quota on the v2 tiers", () => {
    for (const sku of ["BasicV2", "StandardV2"] as const) {
      const doc = publicProductPolicy(sku, limits);
      const inbound = parse(doc.xml).policies.inbound;
      expect(inbound["rate-limit-by-key"]).toEqual({ "@calls": "60", "@renewal-period": "60", "@counter-key": "@(context.Subscription.Id)" });
      expect(inbound.quota).toEqual({ "@calls": "10000", "@renewal-period": "2592000" });
      expect(doc.policies).not.toContain("quota-by-key");
    }
  });

  it("counts by client IP with rate-limit-by-key when asked", () => {
    const doc = publicProductPolicy("Consumption", { ...limits, rateLimitKey: "clientIp" });
    expect(parse(doc.xml).policies.inbound["rate-limit-by-key"]["@counter-key"]).toBe("@(context.Request.IpAddress)");
  });
});

describe("apiPolicy / operationPolicy", () => {
  it("orders CORS, token validation, backend and header removal in inbound", () => {
    const doc = apiPolicy({
      tenantId: TENANT,
      audiences: [`api://${CLIENT}`, CLIENT],
      corsOrigins: ["https://shop.contoso.example"],
      backend: { baseUrl: "https://orders.azurewebsites.net/api" },
    });
    const xml = doc.xml;
    const inbound = parse(xml).policies.inbound;
    expect(inbound.cors["allowed-origins"].origin).toEqual(["https://shop.contoso.example"]);
    expect(inbound["validate-jwt"].audiences.audience).toEqual([`api://${CLIENT}`, CLIENT]);
    expect(inbound["set-backend-service"]["@base-url"]).toBe("https://orders.azurewebsites.net/api");
    expect(inbound["set-header"]).toEqual({ "@name": "Ocp-Apim-Subscription-Key", "@exists-action": "delete" });
    // Order matters: base, cors (preflight), validation, then the backend.
    const order = ["<base />", "<cors", "<validate-jwt", "<set-backend-service"].map((t) => xml.indexOf(t));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(doc.policies).toEqual(["cors", "validate-jwt", "set-backend-service", "set-header"]);
  });

  it("checks roles (403) before swapping in the gateway's managed identity token", () => {
    const doc = operationPolicy({ tenantId: TENANT, audiences: [CLIENT], roles: ["Orders.Write"], backendTokenResource: CLIENT });
    const xml = doc.xml;
    const inbound = parse(xml).policies.inbound;
    expect(inbound["validate-jwt"]["@failed-validation-httpcode"]).toBe("403");
    expect(inbound["validate-jwt"]["required-claims"].claim.value).toEqual(["Orders.Write"]);
    expect(inbound["authentication-managed-identity"]["@resource"]).toBe(CLIENT);
    expect(xml.indexOf("<validate-jwt")).toBeLessThan(xml.indexOf("<authentication-managed-identity"));
    expect(xml.indexOf("<base />")).toBeLessThan(xml.indexOf("<validate-jwt"));
  });

  it("refuses an operation without roles", () => {
    expect(() => operationPolicy({ tenantId: TENANT, audiences: [CLIENT], roles: [] })).toThrow(/at least one role/);
  });

  it("every section of a document starts with <base />", () => {
    const tree = parse(policyDocument({}).xml).policies;
    for (const section of ["inbound", "backend", "outbound", "on-error"]) expect(tree[section]).toEqual({ base: "" });
  });
});
