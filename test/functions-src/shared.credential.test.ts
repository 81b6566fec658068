/**
 * The services' credential: `@azure/identity` (and MSAL under it) is loaded on the first token request,
 * not when the app loads, and the token then comes from the library's ManagedIdentityCredential through
 * the App Service managed-identity endpoint (IDENTITY_ENDPOINT + X-IDENTITY-HEADER, the app's client id:
 * https://learn.microsoft.com/azure/app-service/overview-managed-identity#rest-endpoint-reference).
 * Run in a fresh process, so "not loaded" is about that process's module cache, not this test runner's.
 */
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const CLIENT_ID = "99999999-9999-9999-9999-999999999999";
let server: Server;
let endpoint = "";
const requests: { url: string; header: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? "", header: req.headers["x-identity-header"] as string | undefined });
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({ access_token: "local-token", expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource: "https://storage.azure.com", token_type: "Bearer", client_id: CLIENT_ID }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/msi/token`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const SCRIPT = `
const loaded = () => Object.keys(require.cache).some((k) => k.includes("@azure/identity"));
const { credentialFor } = require("./functions-src/shared/clients/credential");
const credential = credentialFor(process.env.CLIENT_ID);
const before = loaded();
credential.getToken("https://storage.azure.com/.default").then((token) => {
  process.stdout.write(JSON.stringify({ before, token: token && token.token }));
}, (error) => { process.stdout.write(JSON.stringify({ error: String(error) })); });
`;

describe("credentialFor", () => {
  it("loads @azure/identity only on the first token request, then gets the token from the managed-identity endpoint as the app's identity", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--require", "tsx/cjs", "-e", SCRIPT], {
      cwd: ROOT,
      env: { ...process.env, CLIENT_ID, IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: "secret-header", AZURE_LOG_LEVEL: "" },
    });
    // (After the request the library is loaded as ESM by the dynamic import, outside require.cache: the
    // token coming from the endpoint below is what shows it was used.)
    expect(JSON.parse(stdout)).toEqual({ before: false, token: "local-token" });
    expect(requests.length).toBeGreaterThan(0);
    const asked = new URL(requests.at(-1)!.url, "http://x");
    expect(asked.searchParams.get("client_id")).toBe(CLIENT_ID);
    expect(asked.searchParams.get("resource")).toBe("https://storage.azure.com");
    expect(requests.at(-1)!.header).toBe("secret-header");
  });
});
