/**
 * The services' shared helpers: settings and connection rules, content negotiation and conditional
 * request helpers, queue payload decoding, canonical JSON. Pure: table tests, no emulator.
 */
import { describe, expect, it } from "vitest";
import { ifMatchSatisfied, ifNoneMatchSatisfied, isJsonContentType, parseIfMatch, toHttpEtag } from "../../functions-src/shared/http";
import { isTransientError } from "../../functions-src/shared/errors";
import { problem } from "../../functions-src/shared/problem";
import { decodeQueuePayload, encodeQueueMessage } from "../../functions-src/shared/queue";
import {
  ConfigurationError,
  cosmosConnection,
  isLoopbackUrl,
  queueConnection,
  urlSetting,
} from "../../functions-src/shared/settings";
import { canonicalJson, lazy, lazyAsync } from "../../functions-src/shared/util";

const EMULATOR_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

describe("cosmosConnection", () => {
  it.each([
    [
      "identity with a user-assigned identity",
      { COSMOS__accountEndpoint: "https://acct.documents.azure.com:443/", COSMOS__credential: "managedidentity", COSMOS__clientId: "cid" },
      { kind: "identity", endpoint: "https://acct.documents.azure.com:443/", clientId: "cid" },
    ],
    [
      "identity falling back to AZURE_CLIENT_ID",
      { COSMOS__accountEndpoint: "https://acct.documents.azure.com/", AZURE_CLIENT_ID: "app-id" },
      { kind: "identity", endpoint: "https://acct.documents.azure.com/", clientId: "app-id" },
    ],
    [
      "identity without a client id (DefaultAzureCredential)",
      { COSMOS__accountEndpoint: "https://acct.documents.azure.com/" },
      { kind: "identity", endpoint: "https://acct.documents.azure.com/" },
    ],
    [
      "the local emulator's connection string",
      { COSMOS: `AccountEndpoint=https://localhost:8081/;AccountKey=${EMULATOR_KEY};` },
      { kind: "emulator", endpoint: "https://localhost:8081/", key: EMULATOR_KEY },
    ],
  ])("accepts %s", (_name, settings, expected) => {
    expect(cosmosConnection(settings)).toEqual(expected);
  });

  it.each([
    ["a key for a real account", { COSMOS: "AccountEndpoint=https://acct.documents.azure.com:443/;AccountKey=abc==;" }, /keys are accepted only for a local emulator/],
    ["nothing", {}, /COSMOS__accountEndpoint/],
    ["a connection string without a key", { COSMOS: "AccountEndpoint=https://localhost:8081/;" }, /AccountKey/],
    ["another credential kind", { COSMOS__accountEndpoint: "https://a.documents.azure.com/", COSMOS__credential: "clientsecret" }, /managedidentity/],
    ["plain http to a real host", { COSMOS__accountEndpoint: "http://a.documents.azure.com/" }, /https/],
  ])("refuses %s", (_name, settings, message) => {
    expect(() => cosmosConnection(settings)).toThrow(ConfigurationError);
    expect(() => cosmosConnection(settings)).toThrow(message);
  });
});

describe("queueConnection", () => {
  it.each([
    ["identity", { QUEUES__queueServiceUri: "https://acct.queue.core.windows.net", QUEUES__clientId: "cid" }, "identity"],
    ["UseDevelopmentStorage", { QUEUES: "UseDevelopmentStorage=true" }, "emulator"],
    ["Azurite on a loopback port", { QUEUES: "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=k;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;" }, "emulator"],
  ])("accepts %s", (_name, settings, kind) => {
    expect(queueConnection(settings).kind).toBe(kind);
  });

  it("refuses an account-key connection string for a real account", () => {
    expect(() => queueConnection({ QUEUES: "DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=secret;EndpointSuffix=core.windows.net" })).toThrow(
      /not a local emulator/,
    );
  });
});

describe("setting helpers", () => {
  it.each([
    ["http://127.0.0.1:1/x", true],
    ["https://localhost:8081/", true],
    ["http://[::1]:80/", true],
    ["https://localhost.evil.example/", false],
    ["not a url", false],
  ])("isLoopbackUrl(%s) = %s", (url, expected) => {
    expect(isLoopbackUrl(url)).toBe(expected);
  });

  it("urlSetting requires https except on loopback", () => {
    expect(urlSetting({ U: "https://pay.example/api" }, "U").href).toBe("https://pay.example/api");
    expect(urlSetting({ U: "http://127.0.0.1:7200/" }, "U").port).toBe("7200");
    expect(() => urlSetting({ U: "http://pay.example/" }, "U")).toThrow(/https/);
    expect(() => urlSetting({}, "U")).toThrow(/U is required/);
  });
});

describe("HTTP helpers", () => {
  it.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ['Application/JSON; charset="UTF-8"', true],
    ["application/merge-patch+json", true],
    ["application/json; charset=iso-8859-1", false],
    ["text/json", false],
    ["text/plain", false],
    [null, false],
  ])("isJsonContentType(%s) = %s", (header, expected) => {
    expect(isJsonContentType(header)).toBe(expected);
  });

  it("compares entity tags as RFC 9110 says", () => {
    expect(toHttpEtag("abc")).toBe('"abc"');
    expect(toHttpEtag('"abc"')).toBe('"abc"');
    expect(parseIfMatch("*")).toBe("*");
    expect(parseIfMatch('"a", W/"b"')).toEqual(['"a"', 'W/"b"']);
    expect(ifMatchSatisfied(['"a"', '"b"'], '"b"')).toBe(true);
    expect(ifMatchSatisfied(['W/"b"'], '"b"')).toBe(false);
    expect(ifNoneMatchSatisfied('W/"b"', '"b"')).toBe(true);
    expect(ifNoneMatchSatisfied("*", '"b"')).toBe(true);
    expect(ifNoneMatchSatisfied('"c"', '"b"')).toBe(false);
  });

  it("builds problem responses with the problem+json type", () => {
    const response = problem("notFound", "no such order", { instance: "/api/x", invocationId: "i-1" });
    expect(response.status).toBe(404);
    expect(response.headers).toMatchObject({ "Content-Type": "application/problem+json" });
    expect(JSON.parse(String(response.body))).toEqual({
      type: "/problems/not-found",
      title: "Not found",
      status: 404,
      detail: "no such order",
      instance: "/api/x",
      invocationId: "i-1",
    });
  });
});

describe("queue payloads", () => {
  const message = { type: "X", n: 1 };
  it.each([
    ["an object (the host parsed the JSON)", message],
    ["JSON text", JSON.stringify(message)],
    ["base64 JSON", encodeQueueMessage(message)],
    ["bytes", Buffer.from(JSON.stringify(message))],
    ["a JSON string literal wrapping JSON", JSON.stringify(JSON.stringify(message))],
  ])("decodes %s", (_name, raw) => {
    expect(decodeQueuePayload(raw)).toEqual(message);
  });

  it("decodes an array of events", () => {
    expect(decodeQueuePayload(encodeQueueMessage([message, message]))).toEqual([message, message]);
  });

  it.each([["plain text", "hello world"], ["base64 of plain text", Buffer.from("hello").toString("base64")]])(
    "refuses %s as permanent",
    (_name, raw) => {
      expect(() => decodeQueuePayload(raw)).toThrow(/neither JSON nor base64/);
    },
  );
});

describe("errors and utilities", () => {
  it.each([
    [{ code: 429 }, true],
    [{ code: 503 }, true],
    [{ statusCode: 500 }, true],
    [{ code: "ECONNRESET" }, true],
    [Object.assign(new Error("x"), { name: "TimeoutError" }), true],
    [{ code: 404 }, false],
    [{ code: 412 }, false],
    [new Error("bug"), false],
  ])("isTransientError(%j) = %s", (error, expected) => {
    expect(isTransientError(error)).toBe(expected);
  });

  it("canonical JSON ignores key order and undefined fields", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe(canonicalJson({ a: { d: [1, { y: 2, z: 1 }] }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it("lazy builds once", () => {
    let built = 0;
    const get = lazy(() => ++built);
    expect([get(), get()]).toEqual([1, 1]);
  });

  it("lazyAsync loads once for concurrent first calls, and tries again after a failure (a missing setting is not remembered)", async () => {
    let attempts = 0;
    const get = lazyAsync(async () => {
      attempts++;
      if (attempts === 1) throw new Error("COSMOS__accountEndpoint is not set");
      return { client: attempts };
    });
    await expect(get()).rejects.toThrow(/accountEndpoint/);
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(attempts).toBe(2);
  });
});
