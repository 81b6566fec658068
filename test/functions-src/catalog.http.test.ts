/**
 * The catalog HTTP handlers, called directly with real SDK clients against the Cosmos DB emulator.
 */
import type { HttpHandler, HttpResponseInit } from "@azure/functions";
import type { Container } from "@azure/cosmos";
import { beforeAll, describe, expect, it } from "vitest";
import manifest, { PRODUCTS_CONTAINER } from "../../functions-src/catalog/service";
import { type CatalogDeps, catalogDeps, productsContainer } from "../../functions-src/catalog/src/deps";
import { type CatalogHandlers, catalogHandlers, decodeContinuation, encodeContinuation } from "../../functions-src/catalog/src/handlers";
import type { ProductDocument } from "../../functions-src/catalog/src/model";
import { ProductsStore } from "../../functions-src/catalog/src/store";
import { createDatabase, emulatorSettings, header, request, responseJson, testContext, unique } from "./support/services";

const database = unique("catalog-http");
const settings = emulatorSettings({ COSMOS_DATABASE: database });
const NOW = new Date("2026-03-01T12:00:00.000Z");

let deps: CatalogDeps;
let api: CatalogHandlers;
let products: Container;

function validProduct(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "Espresso cup", description: "80 ml, porcelain", currency: "EUR", priceMinor: 1250, ...overrides };
}

async function call(handler: HttpHandler, init: Parameters<typeof request>[0]): Promise<HttpResponseInit> {
  return (await handler(request(init), testContext().context)) as HttpResponseInit;
}

function put(sku: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResponseInit> {
  return call(api.putProduct, { method: "PUT", path: `/products/${sku}`, params: { sku }, body: body as object, headers });
}

function get(sku: string, headers: Record<string, string> = {}): Promise<HttpResponseInit> {
  return call(api.getProduct, { method: "GET", path: `/products/${sku}`, params: { sku }, headers });
}

function list(query: Record<string, string> = {}): Promise<HttpResponseInit> {
  return call(api.listProducts, { method: "GET", path: "/products", query });
}

function expectProblem(response: HttpResponseInit, status: number, type: string, detail?: RegExp): Record<string, unknown> {
  expect(response.status).toBe(status);
  expect(header(response, "content-type")).toBe("application/problem+json");
  const body = responseJson(response);
  expect(body).toMatchObject({ status, type: `/problems/${type}` });
  expect(typeof body.detail).toBe("string");
  expect(body.invocationId).toBeTruthy();
  if (detail) expect(body.detail).toMatch(detail);
  return body;
}

async function storedDoc(sku: string): Promise<ProductDocument | undefined> {
  return (await products.item(sku, sku).read<ProductDocument>()).resource;
}

beforeAll(async () => {
  await createDatabase(settings, database, manifest.owns.containers);
  deps = { ...catalogDeps(settings), clock: () => NOW };
  api = catalogHandlers(() => deps);
  products = productsContainer(settings);
});

describe("the manifest", () => {
  it("owns one container, products, partitioned by /sku, and writes only it", () => {
    expect(manifest.owns.containers.map((c) => [c.name, c.partitionKeyPaths])).toEqual([[PRODUCTS_CONTAINER, ["/sku"]]]);
    expect(manifest.uses.containers).toEqual([{ service: "catalog", container: "products", access: "readWrite" }]);
    expect(manifest.http).toMatchObject({ path: "catalog", version: "v1", routePrefix: "api", healthPath: "/health" });
    expect(manifest.http.roles.map((r) => r.value)).toEqual(["Catalog.Read", "Catalog.Write"]);
  });
});

describe("health", () => {
  it("answers 200 without touching any dependency", async () => {
    const offline = catalogHandlers(() => {
      throw new Error("health must not build clients");
    });
    const response = await call(offline.health, { method: "GET", path: "/health" });
    expect(response.status).toBe(200);
    expect(header(response, "cache-control")).toBe("no-store");
    expect(responseJson(response)).toMatchObject({ status: "ok", service: "catalog" });
  });
});

describe("PUT /products/{sku}", () => {
  it("creates (201) then replaces (200), returning the product with an ETag that changes", async () => {
    const created = await put("CUP-1", validProduct());
    expect(created.status).toBe(201);
    const view = responseJson(created);
    expect(view).toEqual({
      sku: "CUP-1",
      name: "Espresso cup",
      description: "80 ml, porcelain",
      currency: "EUR",
      priceMinor: 1250,
      updatedAt: NOW.toISOString(),
    });
    const etag = header(created, "etag")!;
    expect(etag).toMatch(/^".+"$/);
    // Stored as one item whose id is the SKU (its own partition), with no system fields leaking out.
    expect(await storedDoc("CUP-1")).toMatchObject({ id: "CUP-1", sku: "CUP-1", priceMinor: 1250 });

    const replaced = await put("CUP-1", validProduct({ priceMinor: 1300, description: undefined }));
    expect(replaced.status).toBe(200);
    expect(responseJson(replaced)).toEqual({ sku: "CUP-1", name: "Espresso cup", currency: "EUR", priceMinor: 1300, updatedAt: NOW.toISOString() });
    expect(header(replaced, "etag")).not.toBe(etag);
    expect((await storedDoc("CUP-1"))?.description).toBeUndefined();
  });

  it("with the current ETag in If-Match replaces (200); with a stale one answers 412 and writes nothing", async () => {
    const first = await put("MUG-1", validProduct({ name: "Mug" }));
    const etag1 = header(first, "etag")!;
    const second = await put("MUG-1", validProduct({ name: "Mug", priceMinor: 900 }), { "If-Match": etag1 });
    expect(second.status).toBe(200);
    const etag2 = header(second, "etag")!;
    expect(etag2).not.toBe(etag1);

    const stale = expectProblem(
      await put("MUG-1", validProduct({ name: "Mug", priceMinor: 1 }), { "If-Match": etag1 }),
      412,
      "precondition-failed",
      /GET it again/,
    );
    expect(stale.instance).toBe("/api/products/MUG-1");
    expect((await storedDoc("MUG-1"))?.priceMinor).toBe(900);
    // Weak tags never satisfy If-Match (strong comparison).
    expectProblem(await put("MUG-1", validProduct({ name: "Mug" }), { "If-Match": `W/${etag2}` }), 412, "precondition-failed");
    // One of several listed tags is enough.
    expect((await put("MUG-1", validProduct({ name: "Mug", priceMinor: 950 }), { "If-Match": `"nope", ${etag2}` })).status).toBe(200);
  });

  it("If-Match answers 412 with the current ETag so the caller can re-read", async () => {
    await put("MUG-2", validProduct());
    const current = header(await get("MUG-2"), "etag");
    const response = await put("MUG-2", validProduct(), { "If-Match": '"stale"' });
    expectProblem(response, 412, "precondition-failed");
    expect(header(response, "etag")).toBe(current);
  });

  it("If-Match on a product that does not exist is 412 (and creates nothing); * requires existence", async () => {
    expectProblem(await put("GHOST-1", validProduct(), { "If-Match": '"abc"' }), 412, "precondition-failed", /omit If-Match to create/);
    expectProblem(await put("GHOST-1", validProduct(), { "If-Match": "*" }), 412, "precondition-failed");
    expect(await storedDoc("GHOST-1")).toBeUndefined();
    await put("STAR-1", validProduct());
    expect((await put("STAR-1", validProduct({ priceMinor: 5 }), { "If-Match": "*" })).status).toBe(200);
  });

  it("a write that loses a race after the ETag check is a 412, not a lost update", async () => {
    await put("RACE-1", validProduct());
    const { etag } = (await deps.store.read("RACE-1"))!;
    // A store whose reads return the state before a concurrent writer's change.
    const racing = Object.create(deps.store) as ProductsStore;
    racing.read = async (sku) => {
      const before = await deps.store.read(sku);
      await deps.store.upsert({ ...before!.doc, priceMinor: 7 });
      return before;
    };
    const raced = catalogHandlers(() => ({ ...deps, store: racing }));
    const response = (await raced.putProduct(
      request({ method: "PUT", path: "/products/RACE-1", params: { sku: "RACE-1" }, body: validProduct({ priceMinor: 8 }), headers: { "If-Match": `"${etag.replace(/"/g, "")}"` } }),
      testContext().context,
    )) as HttpResponseInit;
    expectProblem(response, 412, "precondition-failed", /changed while saving/);
    expect((await storedDoc("RACE-1"))?.priceMinor).toBe(7);
  });

  describe("bad input is a 4xx problem, never a 500", () => {
    it("malformed JSON → 400 malformed-json", async () => {
      expectProblem(
        await call(api.putProduct, {
          method: "PUT",
          path: "/products/BAD-1",
          params: { sku: "BAD-1" },
          body: '{"name": "x", ',
          headers: { "content-type": "application/json" },
        }),
        400,
        "malformed-json",
        /not valid JSON/,
      );
    });

    it("wrong types, missing and unknown fields → 400 with a pointer per field", async () => {
      const body = expectProblem(
        await put("BAD-1", { name: "", currency: "euro", priceMinor: 12.5, sku: "BAD-1", colour: "red" }),
        400,
        "validation-failed",
      );
      expect(body.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ pointer: "/name" }),
          expect.objectContaining({ pointer: "/currency" }),
          expect.objectContaining({ pointer: "/priceMinor" }),
          { pointer: "/sku", message: "unknown field" },
          { pointer: "/colour", message: "unknown field" },
        ]),
      );
      const missing = expectProblem(await put("BAD-1", { name: "x" }), 400, "validation-failed");
      expect((missing.errors as { pointer: string }[]).map((e) => e.pointer)).toEqual(expect.arrayContaining(["/currency", "/priceMinor"]));
      expectProblem(await put("BAD-1", validProduct({ priceMinor: -1 })), 400, "validation-failed");
      expect(await storedDoc("BAD-1")).toBeUndefined();
    });

    it("a JSON array or scalar instead of an object → 400; an empty body → 400", async () => {
      expectProblem(await put("BAD-1", [validProduct()]), 400, "validation-failed");
      expectProblem(
        await call(api.putProduct, { method: "PUT", path: "/products/BAD-1", params: { sku: "BAD-1" }, body: "42", headers: { "content-type": "application/json" } }),
        400,
        "validation-failed",
      );
      expectProblem(
        await call(api.putProduct, { method: "PUT", path: "/products/BAD-1", params: { sku: "BAD-1" }, headers: { "content-type": "application/json" } }),
        400,
        "validation-failed",
        /body is required/,
      );
    });

    it("a malformed SKU in the path → 400 naming /path/sku", async () => {
      for (const sku of ["lower-case", "A", "X".repeat(33), "A/B"]) {
        const body = expectProblem(await put(sku, validProduct()), 400, "validation-failed");
        expect((body.errors as { pointer: string }[]).map((e) => e.pointer)).toEqual(["/path/sku"]);
      }
    });

    it("an If-Match that is not an entity tag list → 400", async () => {
      expectProblem(await put("BAD-1", validProduct(), { "If-Match": "abc" }), 400, "validation-failed", /If-Match/);
    });

    it("oversize body → 413, whether declared or streamed", async () => {
      const big = validProduct({ description: "x".repeat(70 * 1024) });
      expectProblem(await put("BIG-1", big), 413, "payload-too-large", /65536 bytes/);
      const text = JSON.stringify(big);
      expectProblem(
        await call(api.putProduct, {
          method: "PUT",
          path: "/products/BIG-1",
          params: { sku: "BIG-1" },
          body: text,
          headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) },
        }),
        413,
        "payload-too-large",
        new RegExp(`${Buffer.byteLength(text)} bytes`),
      );
      expect(await storedDoc("BIG-1")).toBeUndefined();
    });

    it("wrong or missing content type → 415; application/*+json is JSON", async () => {
      const text = JSON.stringify(validProduct());
      const at = (headers: Record<string, string>): Promise<HttpResponseInit> =>
        call(api.putProduct, { method: "PUT", path: "/products/TYPE-1", params: { sku: "TYPE-1" }, body: text, headers });
      expectProblem(await at({ "content-type": "text/plain" }), 415, "unsupported-media-type", /text\/plain/);
      expectProblem(await at({ "content-type": "application/json; charset=latin1" }), 415, "unsupported-media-type");
      // No header at all: the request gets the platform default for text (text/plain), still not JSON.
      expectProblem(await at({}), 415, "unsupported-media-type");
      expect(await storedDoc("TYPE-1")).toBeUndefined();
      expect((await at({ "content-type": "application/vnd.catalog+json" })).status).toBe(201);
    });
  });
});

describe("GET /products/{sku}", () => {
  it("returns the product with its ETag; 304 when If-None-Match matches", async () => {
    const created = await put("PLATE-1", validProduct({ name: "Plate" }));
    const response = await get("PLATE-1");
    expect(response.status).toBe(200);
    expect(responseJson(response)).toEqual(responseJson(created));
    expect(header(response, "etag")).toBe(header(created, "etag"));
    expect((await get("PLATE-1", { "If-None-Match": header(created, "etag")! })).status).toBe(304);
    expect((await get("PLATE-1", { "If-None-Match": '"other"' })).status).toBe(200);
  });

  it("404 problem for an unknown SKU, 400 for a malformed one", async () => {
    expectProblem(await get("NOPE-404"), 404, "not-found", /NOPE-404/);
    expectProblem(await get("nope"), 400, "validation-failed");
  });
});

describe("GET /products", () => {
  // A database of its own: the list spans every product, so other tests' writes must not interfere.
  const pagedDb = unique("catalog-pages");
  let paged: CatalogHandlers;

  beforeAll(async () => {
    const pagedSettings = emulatorSettings({ COSMOS_DATABASE: pagedDb });
    await createDatabase(pagedSettings, pagedDb, manifest.owns.containers);
    const pagedDeps = { ...catalogDeps(pagedSettings), clock: () => NOW };
    paged = catalogHandlers(() => pagedDeps);
    for (const sku of ["SKU-E", "SKU-A", "SKU-D", "SKU-B", "SKU-C"]) {
      const response = (await paged.putProduct(
        request({ method: "PUT", path: `/products/${sku}`, params: { sku }, body: validProduct({ name: sku }) }),
        testContext().context,
      )) as HttpResponseInit;
      expect(response.status).toBe(201);
    }
  });

  const page = async (query: Record<string, string>): Promise<{ items: { sku: string }[]; continuationToken: string | null }> => {
    const response = (await paged.listProducts(request({ method: "GET", path: "/products", query }), testContext().context)) as HttpResponseInit;
    expect(response.status).toBe(200);
    return responseJson(response) as { items: { sku: string }[]; continuationToken: string | null };
  };

  it("pages in SKU order with continuation tokens, nothing twice, no empty last page", async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | null = null;
    do {
      const result: { items: { sku: string }[]; continuationToken: string | null } = await page({ limit: "2", ...(token ? { continuationToken: token } : {}) });
      sizes.push(result.items.length);
      seen.push(...result.items.map((p) => p.sku));
      token = result.continuationToken;
    } while (token);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(["SKU-A", "SKU-B", "SKU-C", "SKU-D", "SKU-E"]);
    // An exact fit ends with a null token rather than an empty page.
    expect((await page({ limit: "5" })).continuationToken).toBeNull();
  });

  it("defaults to 20 items and returns product views only", async () => {
    const result = await page({});
    expect(result.items).toHaveLength(5);
    expect(result.continuationToken).toBeNull();
    expect(result.items[0]).toEqual({ sku: "SKU-A", name: "SKU-A", description: "80 ml, porcelain", currency: "EUR", priceMinor: 1250, updatedAt: NOW.toISOString() });
  });

  it("rejects a bad limit and garbage continuation tokens with 400", async () => {
    expectProblem(await list({ limit: "0" }), 400, "validation-failed");
    expectProblem(await list({ limit: "101" }), 400, "validation-failed");
    expectProblem(await list({ limit: "ten" }), 400, "validation-failed");
    expectProblem(await list({ continuationToken: "not-a-token" }), 400, "validation-failed", /not a token/);
    const forged = Buffer.from(JSON.stringify({ v: 1, a: "' OR 1=1 --" })).toString("base64url");
    expectProblem(await list({ continuationToken: forged }), 400, "validation-failed", /not a token/);
  });

  it("round-trips its tokens", () => {
    expect(decodeContinuation(encodeContinuation("SKU-Z9"))).toBe("SKU-Z9");
    expect(encodeContinuation("SKU-Z9")).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe("dependency failures", () => {
  it("a transient Cosmos DB failure is a 503 problem with Retry-After, not a 500", async () => {
    const failing = new Proxy(products, {
      get(target, property, receiver) {
        if (property === "item") {
          return () => ({ read: () => Promise.reject(Object.assign(new Error("Service Unavailable"), { code: 503 })) });
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const broken = catalogHandlers(() => ({ ...deps, store: new ProductsStore(failing) }));
    const response = (await broken.getProduct(
      request({ method: "GET", path: "/products/CUP-1", params: { sku: "CUP-1" } }),
      testContext().context,
    )) as HttpResponseInit;
    expectProblem(response, 503, "temporarily-unavailable");
    expect(header(response, "retry-after")).toBe("2");
  });

  it("an unexpected error is a 500 problem without internals", async () => {
    const broken = catalogHandlers(() => {
      throw new Error("secret connection detail");
    });
    const response = (await broken.putProduct(
      request({ method: "PUT", path: "/products/CUP-1", params: { sku: "CUP-1" }, body: validProduct() }),
      testContext().context,
    )) as HttpResponseInit;
    expectProblem(response, 500, "internal-error");
    expect(String(response.body)).not.toMatch(/secret/);
  });
});
