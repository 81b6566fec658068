/**
 * The catalog API under attack (issue 13, items 1 and 8), against the Cosmos DB emulator: products
 * belong to no customer, so authorization is by role (Catalog.Read / Catalog.Write) on the caller the
 * gateway forwards; text fields, If-Match and limit are parsed strictly.
 */
import type { HttpHandler, HttpResponseInit } from "@azure/functions";
import type { Container } from "@azure/cosmos";
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../functions-src/catalog/service";
import { catalogDeps, productsContainer } from "../../functions-src/catalog/src/deps";
import { type CatalogHandlers, catalogHandlers } from "../../functions-src/catalog/src/handlers";
import type { ProductDocument } from "../../functions-src/catalog/src/model";
import { type TestCaller, createDatabase, emulatorSettings, header, request, responseJson, testContext, unique } from "./support/services";

const database = unique("catalog-sec");
const settings = emulatorSettings({ COSMOS_DATABASE: database });
const reader: TestCaller = { id: "shop-frontend", roles: ["Catalog.Read"] };
const editor: TestCaller = { id: "merchandiser", roles: ["Catalog.Read", "Catalog.Write"] };

let api: CatalogHandlers;
let products: Container;

const product = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({ name: "Espresso cup", currency: "EUR", priceMinor: 1250, ...overrides });

async function call(handler: HttpHandler, init: Parameters<typeof request>[0]): Promise<HttpResponseInit> {
  return (await handler(request(init), testContext().context)) as HttpResponseInit;
}
const put = (caller: TestCaller | null, sku: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResponseInit> =>
  call(api.putProduct, { method: "PUT", path: `/products/${sku}`, params: { sku }, body: body as object, headers, caller });

function expectProblem(response: HttpResponseInit, status: number, type: string): Record<string, unknown> {
  expect(response.status).toBe(status);
  expect(header(response, "content-type")).toBe("application/problem+json");
  const body = responseJson(response);
  expect(body).toMatchObject({ status, type: `/problems/${type}` });
  return body;
}

const stored = async (sku: string): Promise<ProductDocument | undefined> => (await products.item(sku, sku).read<ProductDocument>()).resource;

beforeAll(async () => {
  await createDatabase(settings, database, manifest.owns.containers);
  api = catalogHandlers(() => catalogDeps(settings));
  products = productsContainer(settings);
});

describe("catalog authorization", () => {
  it("without the gateway's identity every operation is a 401, before any data is touched", async () => {
    const untouched = catalogHandlers(() => {
      throw new Error("must not build clients for an unidentified caller");
    });
    expectProblem(await call(untouched.listProducts, { method: "GET", path: "/products", caller: null }), 401, "unauthenticated");
    expectProblem(await call(untouched.getProduct, { method: "GET", path: "/products/CUP-1", params: { sku: "CUP-1" }, caller: null }), 401, "unauthenticated");
    expectProblem(await call(untouched.putProduct, { method: "PUT", path: "/products/CUP-1", params: { sku: "CUP-1" }, body: product(), caller: null }), 401, "unauthenticated");
  });

  it("writing needs Catalog.Write (403 for a reader, nothing written); reading needs Catalog.Read", async () => {
    expectProblem(await put(reader, "SEC-READER", product()), 403, "forbidden");
    expect(await stored("SEC-READER")).toBeUndefined();
    expect((await put(editor, "SEC-EDITOR", product())).status).toBe(201);
    const writeOnly: TestCaller = { id: "importer", roles: ["Catalog.Write"] };
    expectProblem(await call(api.getProduct, { method: "GET", path: "/products/SEC-EDITOR", params: { sku: "SEC-EDITOR" }, caller: writeOnly }), 403, "forbidden");
    expect((await call(api.getProduct, { method: "GET", path: "/products/SEC-EDITOR", params: { sku: "SEC-EDITOR" }, caller: reader })).status).toBe(200);
  });
});

describe("catalog inputs", () => {
  it.each([
    ["name", "Cup\u0000"],
    ["name", "Cup\r\nX-Injected: 1"],
    ["name", "\u202egpj.exe"],
    ["name", "\u200b\u200b\u200b"],
    ["description", "porcelain\ud800"],
    ["description", "nice\u2067cup"],
    ["description", "\u200b \u200b"],
  ])("a product %s with hostile characters is a 400 naming the field", async (field, value) => {
    const body = expectProblem(await put(editor, "SEC-TEXT", product({ [field]: value })), 400, "validation-failed");
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: `/${field}` })]));
    expect(await stored("SEC-TEXT")).toBeUndefined();
  });

  it("a multi-line description is fine", async () => {
    expect((await put(editor, "SEC-MULTI", product({ description: "80 ml\nporcelain" }))).status).toBe(201);
  });

  it("If-Match with trailing garbage, or unquoted, is a 400 and replaces nothing", async () => {
    const created = await put(editor, "SEC-ETAG", product());
    const etag = header(created, "etag")!;
    expectProblem(await put(editor, "SEC-ETAG", product({ priceMinor: 1 }), { "If-Match": `garbage ${etag} trailing` }), 400, "validation-failed");
    expectProblem(await put(editor, "SEC-ETAG", product({ priceMinor: 1 }), { "If-Match": etag.replace(/"/g, "") }), 400, "validation-failed");
    expect((await stored("SEC-ETAG"))?.priceMinor).toBe(1250);
  });

  it.each(["0x10", "1e1", " 5 "])("limit=%j is a 400", async (limit) => {
    expectProblem(await call(api.listProducts, { method: "GET", path: "/products", query: { limit }, caller: reader }), 400, "validation-failed");
  });
});
