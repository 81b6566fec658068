import { describe, expect, it } from "vitest";
import { checkStack, rule, type StackRes } from "../harness";
import { T, api, storageAccount } from "../resources";

const policy = rule("apim-operation-authz");
const OP_POLICY = "azure-native:apimanagement:ApiOperationPolicy";
const API_POLICY = "azure-native:apimanagement:ApiPolicy";
const OPENAPI = JSON.stringify({ openapi: "3.0.3", paths: { "/orders": { get: { operationId: "listOrders" }, post: { operationId: "createOrder" } } } });

const JWT = (claims = '<required-claims><claim name="roles" match="any"><value>Orders.Read</value></claim></required-claims>', attrs = "") =>
  `<validate-jwt header-name="Authorization"${attrs}><openid-config url="https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration" /><audiences><audience>api://orders</audience></audiences>${claims}</validate-jwt>`;
const doc = (inbound: string, base = "<base />") => `<policies><inbound>${base}${inbound}</inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>`;

const ordersApi: StackRes = { type: T.api, name: "orders-api", props: { ...api, apiId: "orders-v1", format: "openapi+json", value: OPENAPI } };
const apiPolicy = (inbound: string): StackRes => ({ type: API_POLICY, name: "orders-policy", props: { apiId: "orders-v1", format: "xml", value: doc(inbound) }, deps: { apiId: ["orders-api"] } });
const opPolicy = (op: string, inbound: string, base = "<base />"): StackRes => ({
  type: OP_POLICY,
  name: `orders-op-${op}`,
  props: { apiId: "orders-v1", operationId: op, format: "xml", value: doc(inbound, base) },
  deps: { apiId: ["orders-api"] },
});
const messages = (stack: StackRes[], config = {}) => checkStack(policy, stack, config).violations.map((v) => v.message);

describe("apim-operation-authz", () => {
  it("passes when the API validates the token and each operation requires its roles", () => {
    const stack = [ordersApi, apiPolicy(JWT("")), opPolicy("listOrders", JWT()), opPolicy("createOrder", JWT())];
    expect(checkStack(policy, stack)).toEqual({ violations: [], applicable: true });
  });

  it("passes an API-level check with roles for every operation (operations without a policy inherit it)", () => {
    expect(messages([ordersApi, apiPolicy(JWT())])).toEqual([]);
  });

  it("flags the operation whose policy drops the token check, naming the API and the operation", () => {
    const found = checkStack(policy, [ordersApi, opPolicy("listOrders", JWT()), opPolicy("createOrder", "")]).violations;
    expect(found).toEqual([
      { name: "orders-api", message: expect.stringMatching(/API "orders-api" operation "createOrder" \(operation policy "orders-op-createOrder"\) is not protected by the gateway: no <validate-jwt>/) },
    ]);
  });

  it("flags a token check without roles, a weak one, a conditional one and an answer before it", () => {
    expect(messages([ordersApi, apiPolicy(JWT(""))]).join("\n")).toMatch(/no token check requires an app role/);
    expect(messages([ordersApi, apiPolicy(JWT(undefined, ' require-signed-tokens="false"'))]).join("\n")).toMatch(/require-signed-tokens="false" accepts unsigned tokens/);
    expect(messages([ordersApi, apiPolicy(JWT().replace(/<audiences>.*<\/audiences>/, ""))]).join("\n")).toMatch(/lists no <audiences>/);
    expect(messages([ordersApi, apiPolicy(`<choose><when condition="@(true)">${JWT()}</when></choose>`)]).join("\n")).toMatch(/one inside <choose> runs only sometimes/);
    expect(messages([ordersApi, apiPolicy(`<return-response><set-status code="200" /></return-response>${JWT()}`)]).join("\n")).toMatch(/<return-response> can answer before any token is validated/);
  });

  it("flags an operation policy that drops <base /> when the roles live at API scope", () => {
    const found = messages([ordersApi, apiPolicy(JWT()), opPolicy("createOrder", "", "")]);
    expect(found).toEqual([expect.stringMatching(/operation "createOrder" \(operation policy "orders-op-createOrder", API policy "orders-policy"\) is not protected/)]);
  });

  it("flags a token check on Entra's multi-tenant metadata without <issuers>, and passes one that pins the tenant's issuer", () => {
    const common = JWT().replace("login.microsoftonline.com/t/", "login.microsoftonline.com/common/");
    expect(messages([ordersApi, apiPolicy(common)]).join("\n")).toMatch(/Entra's multi-tenant metadata and no <issuers> names your tenant/);
    const organizations = JWT().replace("login.microsoftonline.com/t/", "login.microsoftonline.com/Organizations/");
    expect(messages([ordersApi, apiPolicy(organizations)])).toHaveLength(2);
    const pinned = common.replace("</audiences>", "</audiences><issuers><issuer>https://login.microsoftonline.com/t/v2.0</issuer></issuers>");
    expect(messages([ordersApi, apiPolicy(pinned)])).toEqual([]);
  });

  it("flags an API without any policy, and accepts one allow-listed with a reason", () => {
    expect(messages([ordersApi])).toHaveLength(2);
    expect(messages([ordersApi], { allow: [{ name: "orders-v1", reason: "public read-only catalogue, no customer data" }] })).toEqual([]);
    expect(messages([ordersApi], { allow: [{ name: "orders-v1", reason: "ok" }] })).toHaveLength(2);
  });

  it("does not apply to a stack without APIs", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });
});
