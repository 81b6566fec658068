import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RESERVED_NAMES, findReservedEndpoints, gateReservedEndpoints, reservedNameOf } from "../../lib/endpoints";
import { testConfig } from "../helpers/plan";

const real = {
  apiManagement: { publisherName: "Team", publisherEmail: "team@contoso.com", corsOrigins: ["http://localhost:5173", "https://shop.contoso.com"] },
  backends: { payment: { url: "https://payments.contoso.com/api" } },
  monitoring: { actionGroup: { emails: ["oncall@contoso.com"], webhooks: ["https://oncall.contoso.com/hook"] } },
  services: { notifications: { settings: { webhookUrl: "https://hooks.contoso.com/orders" } } },
};

describe("reserved host names (RFC 2606 / 6761)", () => {
  it("knows the reserved names and their subdomains, and nothing that only looks like them", () => {
    for (const host of ["payments.contoso.example", "EXAMPLE.COM", "a.b.example.net.", "x.test", "api.invalid", "localhost", "printer.local", "nas.home.arpa", "x.onion", "y.alt", "127.0.0.1", "[::1]"]) {
      expect(reservedNameOf(host), host).toBeDefined();
    }
    for (const host of ["contoso.com", "examples.com", "myexample.org", "example.co", "testing.io", "local.contoso.com", "invalidation.net"]) {
      expect(reservedNameOf(host), host).toBeUndefined();
    }
  });

  it("finds nothing in a config with real hosts (localhost is a fine dev CORS origin)", () => {
    expect(findReservedEndpoints(testConfig(real))).toEqual([]);
  });

  it("names every key that holds a placeholder: URLs, e-mails, nested arrays", () => {
    const found = findReservedEndpoints(
      testConfig({
        apiManagement: { publisherName: "Team", publisherEmail: "platform@contoso.example", corsOrigins: ["https://dev.shop.contoso.example"] },
        backends: { payment: { url: "https://payments-dev.contoso.example/api" }, ledger: { url: "https://ledger.test/v2" } },
        monitoring: { actionGroup: { emails: ["ok@contoso.com", "oncall@contoso.example"], webhooks: ["https://localhost:8443/hook"] } },
        services: { notifications: { settings: { webhookUrl: "https://hooks.dev.contoso.example/orders" } } },
      }),
    );
    expect(found.map((f) => [f.key, f.reserved])).toEqual([
      ["serverless-platform:services.notifications.settings.webhookUrl", "example"],
      ["serverless-platform:monitoring.actionGroup.emails[1]", "example"],
      ["serverless-platform:monitoring.actionGroup.webhooks[0]", "localhost"],
      ["serverless-platform:apiManagement.publisherEmail", "example"],
      ["serverless-platform:apiManagement.corsOrigins[0]", "example"],
      ["serverless-platform:backends.payment.url", "example"],
      ["serverless-platform:backends.ledger.url", "test"],
    ]);
  });

  it("catches a reserved name under any label, at any back end's key (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...RESERVED_NAMES.map((r) => r.name)),
        fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), { maxLength: 3 }),
        fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
        fc.boolean(),
        (reserved, labels, backend, upper) => {
          const host = [...labels, reserved].join(".");
          const url = `https://${upper ? host.toUpperCase() : host}/api`;
          const found = findReservedEndpoints(testConfig({ ...real, backends: { [backend]: { url } } }));
          expect(found.map((f) => f.key)).toEqual([`serverless-platform:backends.${backend}.url`]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("warns in a preview and stops the update with one message naming each key", () => {
    const config = testConfig({ ...real, services: { notifications: { settings: { webhookUrl: "https://hooks.contoso.example/orders" } } }, backends: { payment: { url: "https://pay.test/api" } } });
    const warnings: string[] = [];
    const preview = gateReservedEndpoints(config, "dev", { dryRun: true, warn: (m) => warnings.push(m), fail: (m) => { throw new Error(m); } });
    expect(preview).toHaveLength(2);
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatch(/^serverless-platform:backends\.payment\.url: "https:\/\/pay\.test\/api" uses the reserved name "test" \(RFC 2606 §2, RFC 6761 §6\.2\); `pulumi up` will stop/);
    expect(() => gateReservedEndpoints(config, "dev", { dryRun: false, warn: (m) => warnings.push(m), fail: (m) => { throw new Error(m); } })).toThrow(
      /stack "dev" configures 2 URL\(s\) or e-mail address\(es\) on reserved host names[\s\S]*services\.notifications\.settings\.webhookUrl: "https:\/\/hooks\.contoso\.example\/orders"[\s\S]*backends\.payment\.url[\s\S]*pulumi config set --path/,
    );
    expect(warnings).toHaveLength(2);
  });
});
