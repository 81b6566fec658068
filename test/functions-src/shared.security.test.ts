/**
 * The services' shared safeguards against hostile input (issue 13): bounded and sanitised problem
 * output, strict entity-tag lists, plain-digit integers, safe text, duplicate JSON member names,
 * caller identity and declared access, signed continuation tokens, and customer-facing reasons.
 * Pure: table and property tests (fast-check), no emulator.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { HttpHandler, HttpResponseInit } from "@azure/functions";
import fc from "fast-check";
import * as z from "zod";
import { describe, expect, it } from "vitest";
import { CALLER_HEADERS, accessOf, anonymous, callerOf, deferredHttp, registerHttp, secured } from "../../functions-src/shared/caller";
import { CATALOG_ACCESS } from "../../functions-src/catalog/src/access";
import { catalogHandlers } from "../../functions-src/catalog/src/handlers";
import { ORDERS_ACCESS } from "../../functions-src/orders/src/access";
import { ordersHandlers } from "../../functions-src/orders/src/handlers";
import { ContinuationTokens } from "../../functions-src/shared/continuation";
import { parseIfMatch, readJsonBody, withProblems } from "../../functions-src/shared/http";
import { duplicateNamePointer } from "../../functions-src/shared/json";
import { PROBLEM_LIMITS, ProblemError, problemBody, problemTypes } from "../../functions-src/shared/problem";
import { STATUS_REASONS, publicReason } from "../../functions-src/shared/reasons";
import { pagingQuerySchema, safeText } from "../../functions-src/shared/schemas";
import { toEvent } from "../../functions-src/notifications/src/change-feed";
import { type OrderDocument, toView } from "../../functions-src/orders/src/model";
import { request, responseJson, testContext } from "./support/services";

const ROOT = resolve(__dirname, "../..");

/** Characters a problem document must never carry: controls, bidi controls, zero-width, lone surrogates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

/** Any string a client can send, weighted towards the nasty ones. */
const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 2000 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constantFrom("\u0000", "\r\nSet-Cookie: x", "\u202eevil", "\u200b\u200b", "\ud800", "\udc00x", "a".repeat(100_000)),
);

describe("problem documents are bounded and sanitised, whatever they quote", () => {
  it("echoes no invisible format character, whichever (found by the property below with U+2061)", () => {
    // Listed by hand, independently of the implementation's Unicode-category rule: invisible operators,
    // soft hyphen, Mongolian vowel separator, an interlinear annotation anchor, a tag character, the
    // unassigned U+2065, a noncharacter; then characters that must survive.
    const invisible = ["\u2061", "\u2062", "\u2063", "\u2064", "\u2065", "\u00ad", "\u180e", "\ufff9", "\u{e0041}", "\ufdd0"];
    for (const ch of invisible) {
      const body = problemBody("badRequest", `a${ch}b`, { errors: [{ pointer: `/x${ch}`, message: `m${ch}` }], invocationId: "i-1" });
      for (const text of strings(body)) expect(text.includes(ch), `U+${ch.codePointAt(0)!.toString(16)} in ${JSON.stringify(text)}`).toBe(false);
    }
    const kept = problemBody("badRequest", "Zoë 😀 日本 é", {}).detail;
    expect(kept).toContain("Zoë 😀 日本 é");
  });

  it("every string field of any problem is short and free of unsafe characters (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(problemTypes) as (keyof typeof problemTypes)[])),
        hostileText,
        fc.array(fc.record({ pointer: hostileText, message: hostileText }), { maxLength: 60 }),
        hostileText,
        (kind, detail, errors, instance) => {
          const body = problemBody(kind, detail, { errors, instance, invocationId: "i-1" });
          expect(body.detail.length).toBeLessThanOrEqual(PROBLEM_LIMITS.detail * 2);
          expect((body.errors ?? []).length).toBeLessThanOrEqual(PROBLEM_LIMITS.errors);
          for (const text of strings(body)) {
            expect(UNSAFE.test(text)).toBe(false);
            expect(Array.from(text).length).toBeLessThanOrEqual(PROBLEM_LIMITS.detail);
          }
          expect(JSON.stringify(body).length).toBeLessThan(20_000);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a 100 KB Content-Type is not echoed into the 415 body", async () => {
    const handler = withProblems(async (req) => ({ status: 200, body: JSON.stringify(await readJsonBody(req)) }));
    const huge = `text/plain; p=${"x".repeat(100_000)}`;
    const response = (await handler(request({ method: "POST", path: "/x", body: "{}", headers: { "content-type": huge } }), testContext().context)) as HttpResponseInit;
    expect(response.status).toBe(415);
    expect(String(response.body).length).toBeLessThan(1000);
  });

  it("any Content-Type value gets a bounded 415 (property)", async () => {
    const handler = withProblems(async (req) => ({ status: 200, body: JSON.stringify(await readJsonBody(req)) }));
    // Header values: visible ASCII, space, tab and obs-text (what HTTP lets through).
    const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 5000 });
    await fc.assert(
      fc.asyncProperty(headerValue, async (value) => {
        fc.pre(!/^\s*application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(value) && value.trim().length > 0);
        const response = (await handler(request({ method: "POST", path: "/x", body: "{}", headers: { "content-type": value } }), testContext().context)) as HttpResponseInit;
        expect(response.status).toBe(415);
        const body = responseJson(response);
        expect(String(body.detail).length).toBeLessThanOrEqual(PROBLEM_LIMITS.detail);
        for (const text of strings(body)) expect(UNSAFE.test(text)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

describe("errors from dependencies never reach the HTTP body", () => {
  it("whatever a handler throws (message, code, cause), the problem carries none of it (property)", async () => {
    const codes = fc.constantFrom<unknown>(undefined, "ECONNREFUSED", "ETIMEDOUT", 503, 500, 404, 409, "EACCES");
    await fc.assert(
      fc.asyncProperty(hostileText, codes, fc.boolean(), async (text, code, wrapped) => {
        const secret = `INTERNAL ${text} connect ECONNREFUSED 10.20.30.40:8443`;
        const inner = Object.assign(new Error(secret), { code });
        const thrown = wrapped ? new TypeError("fetch failed: 10.20.30.40", { cause: inner }) : inner;
        const handler = withProblems(async () => {
          throw thrown;
        });
        const { context } = testContext();
        const response = (await handler(request({ method: "GET", path: "/x" }), context)) as HttpResponseInit;
        expect([500, 503]).toContain(response.status);
        expect(String(response.body)).not.toMatch(/INTERNAL|ECONNREFUSED|10\.20\.30\.40/);
      }),
      { numRuns: 100 },
    );
  });
});

describe("If-Match / If-None-Match are parsed strictly (RFC 9110 §8.8.3, §13.1.1)", () => {
  it.each([
    ["*", "*"],
    ['"a"', ['"a"']],
    ['"a", W/"b"', ['"a"', 'W/"b"']],
    [' "a" ,, "b" ', ['"a"', '"b"']],
    ['"a,b"', ['"a,b"']],
    ['""', ['""']],
  ])("accepts %s", (header, expected) => {
    expect(parseIfMatch(header)).toEqual(expected);
  });

  it.each([
    ['garbage "abc" trailing'],
    ["garbage"],
    ['"a" "b"'],
    ['"a'],
    ['W/ "a"'],
    ['w/"a"'],
    ['"a"x'],
    [","],
    [""],
    ['"a"; "b"'],
    ['"a\u0001"'],
  ])("refuses %j with a 400 naming the header", (header) => {
    try {
      parseIfMatch(header, "If-Match");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).kind).toBe("validation");
      expect((error as ProblemError).options.errors?.[0]?.pointer).toBe("/header/If-Match");
    }
  });

  it("any list of valid entity tags round-trips; anything else is a ProblemError, never another error (property)", () => {
    const etagc = fc.string({ unit: fc.constantFrom(..."abcXYZ019!#$%&'()*+,-./:;<=>?@[]^_`{|}~"), maxLength: 10 });
    const tag = fc.tuple(fc.boolean(), etagc).map(([weak, t]) => `${weak ? "W/" : ""}"${t}"`);
    fc.assert(
      fc.property(fc.array(tag, { minLength: 1, maxLength: 5 }), fc.constantFrom(",", ", ", " ,\t"), (tags, sep) => {
        expect(parseIfMatch(tags.join(sep))).toEqual(tags);
      }),
    );
    fc.assert(
      fc.property(hostileText, (header) => {
        try {
          parseIfMatch(header);
        } catch (error) {
          expect(error).toBeInstanceOf(ProblemError);
        }
      }),
    );
  });
});

describe("limit accepts plain decimal digits only", () => {
  const schema = pagingQuerySchema({ maxContinuationTokenLength: 10 });
  it.each(["0x10", "1e1", " 5 ", "5 ", "+5", "-1", "5.0", "", "0b11", "Infinity", "１０"])("refuses %j", (limit) => {
    expect(schema.safeParse({ limit }).success).toBe(false);
  });
  it("accepts 1-100 written in digits, and defaults to 20", () => {
    expect(schema.parse({ limit: "7" }).limit).toBe(7);
    expect(schema.parse({ limit: "100" }).limit).toBe(100);
    expect(schema.parse({}).limit).toBe(20);
  });
  it("whatever the text, an accepted limit was written as digits (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 8 }), (limit) => {
        const result = schema.safeParse({ limit });
        expect(result.success).toBe(/^[0-9]+$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 100);
      }),
      { numRuns: 500 },
    );
  });
});

describe("safeText", () => {
  const single = safeText(z.string().max(50));
  const multi = safeText(z.string().max(50), { multiline: true });
  it.each([
    ["NUL", "a\u0000b"],
    ["CR/LF in a single-line field", "line\r\nX-Injected: 1"],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "\udc00"],
    ["a right-to-left override", "invoice\u202etxt.exe"],
    ["a bidi isolate", "a\u2066b"],
    ["zero-width characters only", "\u200b\u200c\u200d"],
    ["whitespace and a BOM only", " \ufeff\t"],
    ["invisible operators only", "\u2061\u2062\u2063\u2064"],
    ["a soft hyphen and a tag character only", "\u00ad\u{e0041}"],
    ["a C1 control", "a\u0085"],
  ])("refuses %s", (_what, value) => {
    expect(single.safeParse(value).success).toBe(false);
  });
  it("accepts ordinary international text, emoji, and line breaks where multi-line", () => {
    for (const value of ["Ada Lovelace", "Straße 1", "東京都", "שלום", "José 👩‍💻", "Apt. 4\u00a0B"]) expect(single.safeParse(value).success).toBe(true);
    expect(multi.safeParse("line one\nline two\r\n\ttabbed").success).toBe(true);
    expect(multi.safeParse("a\u0000").success).toBe(false);
  });
  it("never quotes the value in its messages", () => {
    const result = single.safeParse("SECRET\u202e");
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain("SECRET");
  });
});

describe("duplicate JSON member names", () => {
  it.each([
    ['{"a":1,"a":2}', "/a"],
    ['{"x":{"b":1,"c":{"d":1},"b":2}}', "/x/b"],
    ['[{"a":1},{"a":1,"a":2}]', "/1/a"],
    ['{"a\\u0062":1,"ab":2}', "/ab"],
    ['{"a/b":{"k":[1,{"z":0,"z":1}]}}', "/a~1b/k/1/z"],
  ])("finds the duplicate in %s", (text, pointer) => {
    expect(duplicateNamePointer(text)).toBe(pointer);
  });
  it("finds none in any JSON.stringify output, however nested (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(duplicateNamePointer(JSON.stringify(value))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
  it("survives nesting thousands deep without recursion", () => {
    const deep = `${"[".repeat(5000)}{"a":1,"a":2}${"]".repeat(5000)}`;
    expect(duplicateNamePointer(deep)).toBe(`${"/0".repeat(5000)}/a`);
  });
  it("readJsonBody refuses a body that repeats a member (400), keeping no value silently", async () => {
    const handler = withProblems(async (req) => ({ status: 200, body: JSON.stringify(await readJsonBody(req)) }));
    const response = (await handler(
      request({ method: "POST", path: "/x", body: '{"customerId":"mine","items":[],"customerId":"victim"}', headers: { "content-type": "application/json" } }),
      testContext().context,
    )) as HttpResponseInit;
    expect(response.status).toBe(400);
    expect(responseJson(response)).toMatchObject({ type: "/problems/malformed-json", errors: [{ pointer: "/customerId" }] });
  });
});

describe("caller identity and declared access", () => {
  const ok: HttpHandler = async () => ({ status: 204 });
  const call = async (handler: HttpHandler, headers: Record<string, string>): Promise<HttpResponseInit> =>
    (await handler(request({ method: "GET", path: "/x", headers, caller: null }), testContext().context)) as HttpResponseInit;
  const guarded = secured("Orders.Read", async (_r, _c, caller) => ({ status: 200, body: caller.id }));

  it("401 without the gateway's identity, or with a malformed one", async () => {
    const cases: Record<string, string>[] = [
      {},
      { [CALLER_HEADERS.objectId]: "" },
      { [CALLER_HEADERS.objectId]: "../other" },
      { [CALLER_HEADERS.objectId]: "a,b", [CALLER_HEADERS.roles]: "Orders.Read" },
      { [CALLER_HEADERS.objectId]: "cust-1", [CALLER_HEADERS.roles]: "Orders.Read,<script>" },
    ];
    for (const headers of cases) {
      const response = await call(guarded, headers);
      expect(response.status).toBe(401);
      expect(responseJson(response).type).toBe("/problems/unauthenticated");
    }
  });

  it("403 without the operation's role; the caller otherwise", async () => {
    expect((await call(guarded, { [CALLER_HEADERS.objectId]: "cust-1", [CALLER_HEADERS.roles]: "Orders.Write,Orders.Support" })).status).toBe(403);
    const response = await call(guarded, { [CALLER_HEADERS.objectId]: "cust-1", [CALLER_HEADERS.roles]: " Orders.Write , Orders.Read " });
    expect(response).toMatchObject({ status: 200, body: "cust-1" });
    expect(callerOf(request({ method: "GET", path: "/", caller: { id: "x", roles: [] } })).roles.size).toBe(0);
  });

  it("registerHttp refuses a handler that declares no access, or a role the manifest lacks", () => {
    expect(accessOf(anonymous(ok))).toEqual({ kind: "anonymous" });
    expect(() => registerHttp([{ value: "Orders.Read" }], "bare", { handler: ok })).toThrow(/declares no access/);
    expect(() => registerHttp([{ value: "Orders.Write" }], "typo", { handler: guarded })).toThrow(/Orders.Read, which the manifest/);
  });

  it("a deferred handler declares its access at registration, loads its code on the first call only, and answers as the loaded handler", async () => {
    let loads = 0;
    const deferred = deferredHttp({ kind: "secured", role: "Orders.Read" }, async () => {
      loads++;
      return guarded;
    });
    expect(accessOf(deferred)).toEqual({ kind: "secured", role: "Orders.Read" });
    expect(() => registerHttp([{ value: "Orders.Write" }], "typo", { handler: deferred })).toThrow(/Orders.Read, which the manifest/);
    expect(loads).toBe(0);
    expect((await call(deferred, {})).status).toBe(401);
    expect(await call(deferred, { [CALLER_HEADERS.objectId]: "cust-1", [CALLER_HEADERS.roles]: "Orders.Read" })).toMatchObject({ status: 200, body: "cust-1" });
    expect(loads).toBe(2); // each call asks its loader; the services' loaders are lazyAsync (one import per process)
  });

  it("a deferred handler whose loaded code declares other access (or none) fails closed on every call", async () => {
    const registered = { kind: "secured", role: "Orders.Read" } as const;
    for (const loaded of [secured("Orders.Write", async () => ({ status: 200 })), anonymous(ok), ok]) {
      const deferred = deferredHttp(registered, async () => loaded);
      await expect(call(deferred, { [CALLER_HEADERS.objectId]: "cust-1", [CALLER_HEADERS.roles]: "Orders.Read,Orders.Write" })).rejects.toThrow(
        `the handler loaded for GET /api/x declares ${JSON.stringify(accessOf(loaded))}, registered as {"kind":"secured","role":"Orders.Read"}`,
      );
    }
    const open = deferredHttp({ kind: "anonymous" }, async () => guarded);
    await expect(call(open, {})).rejects.toThrow('registered as {"kind":"anonymous"}');
  });

  it.each([
    ["catalog", CATALOG_ACCESS, catalogHandlers(() => Promise.reject(new Error("no deps in this test")))],
    ["orders", ORDERS_ACCESS, ordersHandlers(() => Promise.reject(new Error("no deps in this test")))],
  ] as const)("%s: each handler enforces the access its entry registers it with (one table)", (_service, table, handlers) => {
    expect(Object.keys(table).sort()).toEqual(Object.keys(handlers).sort());
    for (const [name, access] of Object.entries(table)) expect({ name, access: accessOf(handlers[name as keyof typeof handlers]) }).toEqual({ name, access });
  });

  it("no service registers an HTTP function around registerHttp", () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ts$/.test(entry) && /\bapp\.http\s*\(/.test(readFileSync(path, "utf8"))) offenders.push(path.slice(ROOT.length + 1));
      }
    };
    for (const service of readdirSync(join(ROOT, "functions-src"))) {
      const src = join(ROOT, "functions-src", service, "src");
      if (service !== "shared" && statSync(join(ROOT, "functions-src", service)).isDirectory() && readdirSync(join(ROOT, "functions-src", service)).includes("src")) walk(src);
    }
    expect(offenders).toEqual([]);
  });
});

describe("continuation tokens", () => {
  const key = Buffer.alloc(32, 7);
  const tokens = new ContinuationTokens(async () => key);
  const mine = { listing: "orders.list.v1", subject: "cust-a" };
  const expect400 = async (promise: Promise<unknown>): Promise<void> => {
    await expect(promise).rejects.toMatchObject({ kind: "validation", options: { errors: [{ pointer: "/query/continuationToken" }] } });
  };

  it("round-trips a position for the listing it was issued for", async () => {
    const token = await tokens.issue(mine, '{"compositeToken":"x","orderByItems":[1]}');
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(await tokens.open(mine, token)).toBe('{"compositeToken":"x","orderByItems":[1]}');
  });

  it("refuses another customer's, another query's, another key's or an altered token", async () => {
    const token = await tokens.issue(mine, "position");
    await expect400(tokens.open({ ...mine, subject: "cust-b" }, token));
    await expect400(tokens.open({ ...mine, listing: "orders.list.v2" }, token));
    await expect400(new ContinuationTokens(async () => Buffer.alloc(32, 8)).open(mine, token));
    for (let i = 0; i < token.length; i++) {
      const altered = token.slice(0, i) + (token[i] === "A" ? "B" : "A") + token.slice(i + 1);
      await expect400(tokens.open(mine, altered));
    }
  });

  it("the old unsigned wrapper, and any other string, is a 400 (property)", async () => {
    const legacy = Buffer.from(JSON.stringify({ v: 1, c: "cust-a", t: '[{"compositeToken":"}{"}]' })).toString("base64url");
    await expect400(tokens.open(mine, legacy));
    await fc.assert(fc.asyncProperty(hostileText, async (value) => expect400(tokens.open(mine, value))), { numRuns: 200 });
  });
});

describe("customer-facing status reasons", () => {
  const internal = "payment failed: TypeError: fetch failed (connect ECONNREFUSED 10.20.30.40:8443)\n    at Object.fetch (node:internal/deps/undici/undici:11576:11)";

  it("maps internal text to a catalogue code with its message", () => {
    expect(publicReason("failed", internal)).toEqual({ code: "payment-failed", message: STATUS_REASONS["payment-failed"] });
    expect(publicReason("failed", "out of stock: SKU-1")?.code).toBe("out-of-stock");
    expect(publicReason("failed", "payment declined: insufficient funds")?.code).toBe("payment-declined");
    expect(publicReason("failed", "shipping failed: carrier 500")?.code).toBe("fulfillment-failed");
    expect(publicReason("cancelled", "agent note: customer was rude")?.code).toBe("cancelled-on-request");
    expect(publicReason("failed", "unknown-sku")?.code).toBe("unknown-sku");
    expect(publicReason("paid", undefined)).toBeUndefined();
  });

  it("whatever the internal text, the public reason is a catalogue entry (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom("pending", "reserved", "paid", "shipped", "cancelled", "failed"), fc.option(hostileText, { nil: undefined }), (status, text) => {
        const reason = publicReason(status, text);
        if (reason) expect(STATUS_REASONS[reason.code]).toBe(reason.message);
      }),
      { numRuns: 500 },
    );
  });

  const doc = (status: "failed" | "cancelled", reason: string): OrderDocument => ({
    id: "5d6f1c1e-1111-4222-8333-944455556667",
    customerId: "cust-1",
    status,
    statusVersion: 3,
    statusChangedAt: "2026-12-03T08:00:00.000Z",
    previousStatus: "reserved",
    statusReason: reason,
    items: [{ sku: "SKU-1", quantity: 1, unitPriceMinor: 100 }],
    currency: "EUR",
    totalMinor: 100,
    shippingAddress: { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511 AA", country: "NL" },
    createdAt: "2026-12-03T07:00:00.000Z",
    updatedAt: "2026-12-03T08:00:00.000Z",
    requestHash: "h",
    statusHistory: [
      { status: "pending", at: "2026-12-03T07:00:00.000Z", source: "api" },
      { status, at: "2026-12-03T08:00:00.000Z", reason, source: "fulfillment" },
    ],
    outbox: [],
    outboxPending: false,
  });

  it("no internal text reaches the HTTP view or the published event (property)", () => {
    fc.assert(
      fc.property(fc.constantFrom("failed" as const, "cancelled" as const), hostileText, (status, text) => {
        const secret = `INTERNAL-${text}-10.20.30.40:8443 ECONNREFUSED`;
        const view = JSON.stringify(toView(doc(status, secret)));
        const event = JSON.stringify(toEvent(doc(status, secret)));
        for (const out of [view, event]) {
          expect(out).not.toContain("INTERNAL-");
          expect(out).not.toContain("ECONNREFUSED");
          expect(out).not.toContain("10.20.30.40");
        }
      }),
      { numRuns: 200 },
    );
    const event = toEvent(doc("failed", internal));
    expect(event.data?.reason).toBe("payment-failed");
  });
});
