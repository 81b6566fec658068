import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { HealthApi, aggregateHealthPolicy, healthOperationPolicy } from "../../../components/api-management/health-api";
import { evaluate, ofType, one } from "../../helpers/plan";

describe("gateway health API", () => {
  it("forwards /health/<service> to the app's health path, anonymously", async () => {
    const plan = await evaluate(() => {
      new HealthApi("gw-health", {
        resourceGroupName: "rg",
        serviceName: "gw",
        targets: [
          { service: "orders", hostName: "orders.azurewebsites.net", path: "/api/health" },
          { service: "billing", hostName: "billing.azurewebsites.net", path: "/api/healthz" },
        ],
      });
    });
    const api = one(plan, "azure-native:apimanagement:Api");
    expect(api.inputs).toMatchObject({ apiId: "health", path: "health", protocols: ["https"], subscriptionRequired: false });
    const operations = ofType(plan, "azure-native:apimanagement:ApiOperation");
    expect(operations.map((o) => [o.inputs.operationId, o.inputs.method, o.inputs.urlTemplate])).toEqual([
      ["orders-health", "GET", "/orders"],
      ["billing-health", "GET", "/billing"],
      ["all-health", "GET", "/all"],
    ]);
    const policy = one(plan, "azure-native:apimanagement:ApiOperationPolicy", "gw-health-orders-policy");
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(policy.inputs.value as string) as {
      policies: { inbound: { "set-backend-service": { "base-url": string }; "rewrite-uri": { template: string } } };
    };
    expect(xml.policies.inbound["set-backend-service"]["base-url"]).toBe("https://orders.azurewebsites.net");
    expect(xml.policies.inbound["rewrite-uri"].template).toBe("/api/health");
    // No token validation and no subscription: nothing secret is needed to probe it.
    expect(policy.inputs.value).not.toMatch(/validate-jwt|authentication-managed-identity/);
  });

  it("answers /health/all with 200 only when every service answers 200", async () => {
    const xml = aggregateHealthPolicy([
      { service: "orders", url: "https://orders.azurewebsites.net/api/health" },
      { service: "billing", url: "https://billing.azurewebsites.net/api/healthz" },
    ]);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(xml) as {
      policies: {
        inbound: {
          "send-request": { "response-variable-name": string; "ignore-error": string; "set-url": string }[];
          choose: { when: { condition: string; "return-response": { "set-status": { code: string } } }; otherwise: { "return-response": { "set-status": { code: string } } } };
        };
      };
    };
    const requests = parsed.policies.inbound["send-request"];
    expect(requests.map((r) => r["set-url"])).toEqual(["https://orders.azurewebsites.net/api/health", "https://billing.azurewebsites.net/api/healthz"]);
    expect(requests.every((r) => r["ignore-error"] === "true")).toBe(true);
    const choose = parsed.policies.inbound.choose;
    expect(choose.when.condition).toMatch(/"health0"\).StatusCode\) == 200 && .*"health1"\).StatusCode\) == 200\)$/);
    expect(choose.when["return-response"]["set-status"].code).toBe("200");
    expect(choose.otherwise["return-response"]["set-status"].code).toBe("503");
    expect(() => aggregateHealthPolicy([{ service: "x", url: "http://x" }])).toThrow(/https/);
  });

  // Issue 18 item 1: the aggregate's expressions (`GetValueOrDefault<IResponse>("health0")`, `&&`) are
  // XML-encoded by the renderer, so the document must go to ARM as `xml`; as `rawxml` ("a non XML
  // encoded policy document") APIM compiles the entities literally and refuses the PUT.
  it("sends every health policy as an XML document whose decoded expressions are C#", async () => {
    const plan = await evaluate(() => {
      new HealthApi("gw-health", {
        resourceGroupName: "rg",
        serviceName: "gw",
        targets: [
          { service: "orders", hostName: "orders.azurewebsites.net", path: "/api/health" },
          { service: "billing", hostName: "billing.azurewebsites.net", path: "/api/health" },
        ],
      });
    });
    const policies = ofType(plan, "azure-native:apimanagement:ApiOperationPolicy");
    expect(policies).toHaveLength(3);
    for (const p of policies) {
      const value = p.inputs.value as string;
      expect(p.inputs.format, p.name).toBe("xml");
      expect(XMLValidator.validate(value), p.name).toBe(true);
    }
    const all = one(plan, "azure-native:apimanagement:ApiOperationPolicy", "gw-health-all-policy");
    expect(all.inputs.value).toContain("GetValueOrDefault&lt;IResponse&gt;(&quot;health0&quot;)");
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(all.inputs.value as string) as {
      policies: { inbound: { choose: { when: { condition: string } } } };
    };
    // What APIM's policy compiler sees once the XML is decoded: plain C#.
    expect(parsed.policies.inbound.choose.when.condition).toMatch(/^@\(\(context\.Variables\.GetValueOrDefault<IResponse>\("health0"\) == null .* && .*"health1"/);
  });

  it("refuses a duplicate target and a relative path", () => {
    expect(() => new HealthApi("h", { resourceGroupName: "rg", serviceName: "gw", targets: [{ service: "a", hostName: "x", path: "/h" }, { service: "a", hostName: "y", path: "/h" }] })).toThrow(/listed twice/);
    expect(() => healthOperationPolicy("x.azurewebsites.net", "health")).toThrow(/absolute path/);
    expect(() => new HealthApi("h2", { resourceGroupName: "rg", serviceName: "gw", targets: [{ service: "all", hostName: "x", path: "/h" }] })).toThrow(/shadow the aggregate/);
  });
});
