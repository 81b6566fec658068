import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";
import { T, api, backend, storageAccount } from "../resources";

const policy = rule("apim-backend-auth");
const API_POLICY = "azure-native:apimanagement:ApiPolicy";
const doc = (inbound: string) => `<policies><inbound><base />${inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;
const ordersApi: StackRes = { type: T.api, name: "orders-api", props: { ...api, apiId: "orders-v1", serviceUrl: "https://orders.azurewebsites.net/api" } };
const apiPolicy = (inbound: string): StackRes => ({ type: API_POLICY, name: "orders-policy", props: { apiId: "orders-v1", format: "xml", value: doc(inbound) }, deps: { apiId: ["orders-api"] } });
const MI = '<authentication-managed-identity resource="api://orders" />';
const messages = (stack: StackRes[], config = {}) => checkStack(policy, stack, config).violations.map((v) => v.message);

describe("apim-backend-auth", () => {
  it("passes when the gateway authenticates with its managed identity", () => {
    expect(checkStack(policy, [ordersApi, apiPolicy(MI)])).toEqual({ violations: [], applicable: true });
  });

  it("passes a backend entity that presents credentials, and an operation that always answers from the gateway", () => {
    const entity: StackRes = { type: T.backend, name: "orders-backend", props: { ...backend, credentials: { authorization: { scheme: "Bearer", parameter: "{{token}}" } } } };
    expect(messages([ordersApi, entity, apiPolicy('<set-backend-service backend-id="orders" />')])).toEqual([]);
    expect(messages([ordersApi, apiPolicy('<return-response><set-status code="204" /></return-response>')])).toEqual([]);
  });

  it("flags forwarding without credentials, naming the API, its policy document and where it forwards", () => {
    expect(checkStack(policy, [ordersApi, apiPolicy("")]).violations).toEqual([
      { name: "orders-api", message: expect.stringMatching(/API "orders-api" operation "\(every operation\)" \(API policy "orders-policy"\) forwards to serviceUrl "https:\/\/orders\.azurewebsites\.net\/api" without authenticating the gateway/) },
    ]);
    expect(messages([ordersApi, { type: T.backend, name: "orders-backend", props: backend }, apiPolicy('<set-backend-service backend-id="orders" />')]).join()).toMatch(/forwards to backend "orders"/);
  });

  it("flags a send-request without credentials", () => {
    const send = '<send-request mode="new" response-variable-name="r"><set-url>https://x.example/h</set-url></send-request>';
    expect(messages([ordersApi, apiPolicy(`${MI}${send}`)]).join()).toMatch(/calls "https:\/\/x\.example\/h" with <send-request> without credentials/);
  });

  it("accepts an API allow-listed with a reason", () => {
    expect(messages([ordersApi, apiPolicy("")], { allow: [{ name: "orders-api", reason: "the back end is an anonymous public status page" }] })).toEqual([]);
  });

  it("does not apply to a stack without APIs", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });
});
