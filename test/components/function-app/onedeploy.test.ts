import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  APP_SERVICE_SCOPE,
  deployPackage,
  type DeploymentDeps,
  type DeploymentLimits,
  OneDeployError,
} from "../../../components/function-app/onedeploy";

// A local stand-in for ARM and the app's SCM site, scripted per test. The client under test talks
// https to `management.test` and `app.scm.test`; the injected fetch sends those requests here and
// names the original host in a header.

const ARM = "https://management.test";
const SCM_HOST = "app-orders.scm.test";
const SITE_ID = "/subscriptions/0000/resourceGroups/rg-dev/providers/Microsoft.Web/sites/app-orders";
const ZIP = Buffer.from("PK\u0003\u0004 fake zip bytes");
const AFFINITY = "ARRAffinity=affinity-42";

interface LogLine {
  readonly message: string;
  /** Details served under the entry's details_url. */
  readonly details?: readonly string[];
}
/** One poll answer: 404, or a status body. */
type Poll = 404 | { readonly status: number; readonly text?: string };
interface DeploymentScript {
  readonly polls: readonly Poll[];
  readonly log?: readonly LogLine[];
}
interface Script {
  /** `GET /api/deployments/latest`: 404 or a status body (id, status). @default 404 */
  latest?: 404 | { readonly id: string; readonly status: number; readonly text?: string };
  /** ARM `GET {siteId}/functions`: the function names it lists, or an HTTP status. @default 404 */
  armFunctions?: readonly string[] | number;
  sku: string;
  siteAnswers: number[];
  /** POST answers in order; a 202 starts the next deployment of `deployments`. The last one repeats. */
  publish: { status: number; body?: string }[];
  deployments: DeploymentScript[];
}
interface Seen {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly bodySha256: string;
}

let server: Server;
let port = 0;
let script: Script;
let seen: Seen[];
let deploymentCount: number;
const pollCursor = new Map<string, number>();

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const host = String(req.headers["x-test-host"] ?? "");
  const url = new URL(req.url ?? "/", "http://local");
  seen.push({ method: req.method ?? "", host, path: `${url.pathname}${url.search}`, headers: req.headers, bodySha256: createHash("sha256").update(body).digest("hex") });

  if (host === "management.test" && url.pathname === `${SITE_ID}/functions`) {
    const listed = script.armFunctions ?? 404;
    if (typeof listed === "number") return reply(res, listed, { error: { code: "NotFound" } });
    // ARM names a function "<site>/<function>" (WebApps_ListFunctions).
    return reply(res, 200, { value: listed.map((f) => ({ id: `${SITE_ID}/functions/${f}`, name: `app-orders/${f}`, type: "Microsoft.Web/sites/functions", properties: { name: f } })) });
  }
  if (host === "management.test" && url.pathname === SITE_ID) {
    const status = script.siteAnswers.shift() ?? 200;
    if (status !== 200) return reply(res, status, { error: { code: "Transient" } });
    return reply(res, 200, {
      id: SITE_ID,
      properties: {
        sku: script.sku,
        hostNameSslStates: [
          { name: "app-orders.test", hostType: "Standard" },
          { name: SCM_HOST, hostType: "Repository" },
        ],
      },
    });
  }
  if (host !== SCM_HOST) return reply(res, 421, "wrong host");

  if (req.method === "POST" && url.pathname === "/api/publish") {
    const answer = script.publish.length > 1 ? script.publish.shift()! : script.publish[0]!;
    if (answer.status !== 202) return reply(res, answer.status, answer.body ?? "");
    deploymentCount += 1;
    const id = `dep-${deploymentCount}`;
    return reply(res, 202, JSON.stringify(id), {
      location: `https://${SCM_HOST}/api/deployments/${id}`,
      "set-cookie": [`${AFFINITY}; Path=/; HttpOnly; Domain=${SCM_HOST}`, "ARRAffinitySameSite=affinity-42; Path=/; SameSite=None; Secure", "other=1; Path=/"],
    });
  }

  if (url.pathname === "/api/deployments/latest") {
    const latest = script.latest ?? 404;
    if (latest === 404) return reply(res, 404, { Message: "Not found" });
    return reply(res, 200, { id: latest.id, status: latest.status, status_text: latest.text ?? "", complete: latest.status >= 3, log_url: `https://${SCM_HOST}/api/deployments/${latest.id}/log` });
  }
  const match = /^\/api\/deployments\/(dep-(\d+))(?:\/log(?:\/(\d+))?)?$/.exec(url.pathname);
  const deployment = match ? script.deployments[Number(match[2]) - 1] : undefined;
  if (!match || !deployment) return reply(res, 404, "no such route");
  const id = match[1]!;
  const logUrl = `https://${SCM_HOST}/api/deployments/${id}/log`;
  if (url.pathname.endsWith("/log")) {
    return reply(
      res,
      200,
      (deployment.log ?? []).map((l, i) => ({
        log_time: "2026-01-01T00:00:00Z",
        id: String(i + 1),
        message: l.message,
        type: 0,
        details_url: l.details ? `${logUrl}/${i + 1}` : null,
      })),
    );
  }
  if (match[3]) {
    const entry = deployment.log?.[Number(match[3]) - 1];
    return reply(res, 200, (entry?.details ?? []).map((message, i) => ({ log_time: "2026-01-01T00:00:00Z", id: `d${i}`, message, type: 2, details_url: null })));
  }
  const cursor = pollCursor.get(id) ?? 0;
  pollCursor.set(id, cursor + 1);
  const poll = deployment.polls[Math.min(cursor, deployment.polls.length - 1)]!;
  if (poll === 404) return reply(res, 404, { Message: "Not found" });
  return reply(res, 200, { id, status: poll.status, status_text: poll.text ?? "", complete: poll.status >= 3 || poll.status < 0, log_url: logUrl });
}

/** fetch that sends https://<host>/… to the local server. */
const localFetch: DeploymentDeps["fetch"] = (input, init) => {
  const url = new URL(input);
  const headers = new Headers(init?.headers);
  headers.set("x-test-host", url.host);
  return fetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, { ...init, headers });
};

/** A fake clock: sleeping advances it instantly, and every sleep is recorded. */
function fakeDeps(overrides: Partial<DeploymentDeps> = {}): DeploymentDeps & { sleeps: number[]; logs: string[] } {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const logs: string[] = [];
  return {
    fetch: localFetch,
    getToken: async (scope) => `token-for:${scope}`,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    now: () => now,
    log: (m) => logs.push(m),
    sleeps,
    logs,
    ...overrides,
  };
}

const FAST: Partial<DeploymentLimits> = { totalMs: 20 * 60_000, rbacPropagationMs: 10 * 60_000 };

const BUNDLE_FUNCTIONS = ["createOrder", "relayOutbox"];

function request(limits: Partial<DeploymentLimits> = FAST) {
  return { siteId: SITE_ID, zip: ZIP, armEndpoint: ARM, limits, expectedFunctions: BUNDLE_FUNCTIONS };
}

const publishes = (): Seen[] => seen.filter((s) => s.method === "POST");
const polls = (): Seen[] => seen.filter((s) => s.method === "GET" && /^\/api\/deployments\/dep-\d+$/.test(s.path));

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  deploymentCount = 0;
  pollCursor.clear();
  script = { sku: "FlexConsumption", siteAnswers: [], publish: [{ status: 202 }], deployments: [] };
});

describe("deployPackage (OneDeploy on Flex)", () => {
  it("publishes the zip and polls until status 4, following the documented exchange", async () => {
    script.deployments = [{ polls: [{ status: 0 }, { status: 1 }, { status: 2 }, { status: 4, text: "Deployment successful." }] }];
    const deps = fakeDeps();

    const result = await deployPackage(request(), deps);

    expect(result).toMatchObject({ deploymentId: "dep-1", scmHost: SCM_HOST, status: 4, statusText: "Deployment successful.", publishAttempts: 1, confirmed: true });
    const site = seen[0]!;
    expect(site).toMatchObject({ method: "GET", host: "management.test", path: `${SITE_ID}?api-version=2023-12-01` });
    expect(site.headers.authorization).toBe(`Bearer token-for:${ARM}/.default`);

    const [post] = publishes();
    expect(post).toMatchObject({ host: SCM_HOST, path: "/api/publish?RemoteBuild=false&Deployer=pulumi" });
    expect(post!.headers["content-type"]).toBe("application/zip");
    expect(post!.headers["cache-control"]).toBe("no-cache");
    expect(post!.headers.authorization).toBe(`Bearer token-for:${APP_SERVICE_SCOPE}`);
    expect(post!.bodySha256).toBe(createHash("sha256").update(ZIP).digest("hex"));

    expect(polls()).toHaveLength(4);
    for (const poll of polls()) {
      expect(poll.headers.cookie).toBe("ARRAffinity=affinity-42; ARRAffinitySameSite=affinity-42");
      expect(poll.headers.authorization).toBe(`Bearer token-for:${APP_SERVICE_SCOPE}`);
    }
    expect(deps.sleeps).toEqual([1000, 1000, 1000, 1000]);
  });

  it("reports a failure given in the body (status 3) with the log messages and their details", async () => {
    script.deployments = [
      {
        polls: [{ status: 1 }, { status: 3, text: "Deployment failed." }],
        log: [
          { message: "Starting deployment pipeline." },
          { message: "Validating package: host.json not found at the root", details: ["The zip must contain host.json next to package.json"] },
        ],
      },
    ];

    const error = await deployPackage(request(), fakeDeps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OneDeployError);
    const e = error as OneDeployError;
    expect(e.kind).toBe("deployment");
    expect(e.deploymentId).toBe("dep-1");
    expect(e.message).toContain("ended with status 3 (failed): Deployment failed.");
    expect(e.logs).toEqual([
      "Starting deployment pipeline.",
      "Validating package: host.json not found at the root",
      "  The zip must contain host.json next to package.json",
    ]);
    expect(e.message).toContain("The zip must contain host.json next to package.json");
    expect(publishes()).toHaveLength(1);
    // The details were followed right away, not left for later.
    expect(seen.map((s) => s.path)).toContain("/api/deployments/dep-1/log/2");
  });

  it("retries 403 while role assignments propagate, with exponential backoff, then succeeds", async () => {
    script.publish = [{ status: 403, body: "Forbidden" }, { status: 403, body: "Forbidden" }, { status: 202 }];
    script.deployments = [{ polls: [{ status: 4 }] }];
    const deps = fakeDeps();

    const result = await deployPackage(request(), deps);

    expect(result.publishAttempts).toBe(3);
    expect(publishes()).toHaveLength(3);
    expect(deps.sleeps.slice(0, 2)).toEqual([2000, 4000]);
  });

  it("gives up on 403 after the RBAC window, naming the permission", async () => {
    script.publish = [{ status: 403, body: "Forbidden" }];
    const error = await deployPackage(request({ rbacPropagationMs: 30_000 }), fakeDeps()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OneDeployError);
    expect((error as OneDeployError).kind).toBe("auth");
    expect((error as OneDeployError).message).toMatch(/Microsoft\.Web\/sites\/publish\/Action/);
    // 2 + 4 + 8 + 16 s of backoff fit in 30 s: five attempts, then the window is over.
    expect(publishes()).toHaveLength(5);
  });

  it("retries BlobUploadFailedException answered as HTTP 400 on the POST, then succeeds", async () => {
    script.publish = [{ status: 400, body: "BlobUploadFailedException: Failed to upload blob to storage account: Forbidden" }, { status: 202 }];
    script.deployments = [{ polls: [{ status: 4 }] }];

    const result = await deployPackage(request(), fakeDeps());

    expect(result.publishAttempts).toBe(2);
    expect(result.deploymentId).toBe("dep-1");
  });

  it("retries a deployment that failed (status 3) with an upload-failure log line, then succeeds", async () => {
    script.deployments = [
      { polls: [{ status: 1 }, { status: 3, text: "Deployment failed." }], log: [{ message: "Uploading built content /home/site/artifacts", details: ["BlobUploadFailedException: Failed to upload blob to storage account: Response status code does not indicate success: 403 (This request is not authorized to perform this operation using this permission.)."] }] },
      { polls: [{ status: 2 }, { status: 4 }] },
    ];

    const result = await deployPackage(request(), fakeDeps());

    expect(result).toMatchObject({ deploymentId: "dep-2", publishAttempts: 2, status: 4 });
  });

  it("does not retry a 400 that is not an upload failure", async () => {
    script.publish = [{ status: 400, body: "Package deployment using ZIP Deploy failed. Refer logs for more details." }, { status: 202 }];
    const error = await deployPackage(request(), fakeDeps()).catch((e: unknown) => e);
    expect((error as OneDeployError).kind).toBe("publish");
    expect((error as OneDeployError).httpStatus).toBe(400);
    expect(publishes()).toHaveLength(1);
  });

  it("tolerates 404s before the status record exists, then follows 0 → 1 → 2 → 4", async () => {
    script.deployments = [{ polls: [404, 404, 404, { status: 0 }, { status: 1 }, { status: 2 }, { status: 4 }] }];

    const result = await deployPackage(request(), fakeDeps());

    expect(result.status).toBe(4);
    expect(result.confirmed).toBe(true);
    expect(polls()).toHaveLength(7);
  });

  it("fails when the status record never appears", async () => {
    script.deployments = [{ polls: [404] }];
    const error = await deployPackage(request({ maxInitialNotFound: 5 }), fakeDeps()).catch((e: unknown) => e);
    expect((error as OneDeployError).message).toMatch(/status record never appeared/);
    expect(polls()).toHaveLength(6);
  });

  describe("the status record vanishes after 'deploying' (Azure/azure-dev#4439)", () => {
    const vanished = (): void => {
      script.deployments = [{ polls: [{ status: 1 }, { status: 2 }, 404] }];
    };
    const limits = { ...FAST, maxNotFoundAfterStatus: 3, armConfirmAttempts: 3, armConfirmIntervalMs: 5_000 };
    const armReads = (): Seen[] => seen.filter((x) => x.host === "management.test" && x.path.startsWith(`${SITE_ID}/functions`));
    const latestReads = (): Seen[] => seen.filter((x) => x.path === "/api/deployments/latest");

    it("reads /api/deployments/latest: success there is success", async () => {
      vanished();
      script.latest = { id: "dep-1", status: 4, text: "Deployment successful." };
      const result = await deployPackage(request(limits), fakeDeps());
      expect(result).toMatchObject({ status: 4, confirmed: true, confirmedBy: "latest", statusText: "Deployment successful." });
      expect(latestReads()).toHaveLength(1);
      expect(latestReads()[0]!.headers.cookie).toBe("ARRAffinity=affinity-42; ARRAffinitySameSite=affinity-42");
      expect(armReads()).toHaveLength(0);
    });

    it("reads /api/deployments/latest: a failure there fails, with the log", async () => {
      vanished();
      script.deployments[0] = { polls: [{ status: 1 }, { status: 2 }, 404], log: [{ message: "Worker failed to start" }] };
      script.latest = { id: "dep-1", status: 3, text: "Deployment failed." };
      const error = (await deployPackage(request(limits), fakeDeps()).catch((e: unknown) => e)) as OneDeployError;
      expect(error).toBeInstanceOf(OneDeployError);
      expect(error.message).toMatch(/ended with status 3 \(failed\): Deployment failed\. \(read from \/api\/deployments\/latest\)/);
      expect(error.logs).toEqual(["Worker failed to start"]);
    });

    it("with no readable latest record, confirms through ARM that the app lists every function of the bundle", async () => {
      vanished();
      script.armFunctions = 404;
      let armAnswers = 0;
      const deps = fakeDeps();
      const fetchWithSync: DeploymentDeps["fetch"] = async (url, init) => {
        // The list syncs after the deployment: the first read still shows the old function set.
        if (url.includes("/functions?")) script.armFunctions = armAnswers++ === 0 ? ["createOrder"] : [...BUNDLE_FUNCTIONS, "health"];
        return deps.fetch(url, init);
      };
      const result = await deployPackage(request(limits), { ...deps, fetch: fetchWithSync });
      expect(result).toMatchObject({ status: 4, confirmed: true, confirmedBy: "arm" });
      expect(armReads()).toHaveLength(2);
      expect(armReads()[0]!.path).toBe(`${SITE_ID}/functions?api-version=2023-12-01`);
      expect(armReads()[0]!.headers.authorization).toBe(`Bearer token-for:${ARM}/.default`);
    });

    it("fails (so the next `up` retries) when ARM does not list the bundle's functions", async () => {
      vanished();
      script.armFunctions = ["createOrder"];
      const error = (await deployPackage(request(limits), fakeDeps()).catch((e: unknown) => e)) as OneDeployError;
      expect(error).toBeInstanceOf(OneDeployError);
      expect(error.kind).toBe("deployment");
      expect(error.message).toMatch(/dep-1 on app-orders could not be confirmed: its status record vanished after "deploying" \(4 consecutive 404s\), \/api\/deployments\/latest did not answer, and ARM does not list relayOutbox/);
      expect(error.message).toMatch(/the next `pulumi up` deploys it again/);
      expect(armReads()).toHaveLength(3);
    });

    it("fails when the latest record is another deployment and ARM cannot be read", async () => {
      vanished();
      script.latest = { id: "dep-0", status: 4 };
      script.armFunctions = 403;
      const error = (await deployPackage(request(limits), fakeDeps()).catch((e: unknown) => e)) as OneDeployError;
      expect(error.message).toMatch(/latest names deployment dep-0, and ARM's function list answered 403/);
    });

    it("fails without a list of the bundle's functions to compare with", async () => {
      vanished();
      script.armFunctions = BUNDLE_FUNCTIONS;
      const error = (await deployPackage({ ...request(limits), expectedFunctions: [] }, fakeDeps()).catch((e: unknown) => e)) as OneDeployError;
      expect(error.message).toMatch(/no expected functions were given/);
    });
  });

  it("stops within the time budget with a clear error when the deployment never finishes", async () => {
    script.deployments = [{ polls: [{ status: 1, text: "Building" }] }];
    const deps = fakeDeps();
    const started = Date.now();

    const error = await deployPackage(request({ totalMs: 60_000, pollIntervalMs: 1_000 }), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(OneDeployError);
    const e = error as OneDeployError;
    expect(e.kind).toBe("timeout");
    expect(e.message).toMatch(/gave up after 1 min \(limit 1 min\)/);
    expect(e.message).toMatch(/last status 1 \(building: Building\)/);
    expect(deps.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
    expect(polls().length).toBeGreaterThanOrEqual(55);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("retries 409 (another deployment in progress)", async () => {
    script.publish = [{ status: 409, body: "There is a deployment currently in progress." }, { status: 409 }, { status: 202 }];
    script.deployments = [{ polls: [{ status: 4 }] }];
    const deps = fakeDeps();

    const result = await deployPackage(request(), deps);

    expect(result.publishAttempts).toBe(3);
    expect(deps.logs.some((l) => l.includes("another deployment is in progress"))).toBe(true);
  });

  it("retries 503 on the POST and on the ARM read", async () => {
    script.siteAnswers = [503, 500];
    script.publish = [{ status: 503 }, { status: 202 }];
    script.deployments = [{ polls: [{ status: 4 }] }];

    const result = await deployPackage(request(), fakeDeps());

    expect(result.publishAttempts).toBe(2);
    expect(seen.filter((s) => s.host === "management.test")).toHaveLength(3);
  });

  it("retries network errors on the POST", async () => {
    script.deployments = [{ polls: [{ status: 4 }] }];
    let failures = 2;
    const deps = fakeDeps({
      fetch: (url, init) => {
        if (init?.method === "POST" && failures-- > 0) return Promise.reject(new TypeError("fetch failed"));
        return localFetch(url, init);
      },
    });
    const result = await deployPackage(request(), deps);
    expect(result.publishAttempts).toBe(3);
  });

  it("falls back to the ARM scope when no App Service token can be had", async () => {
    script.deployments = [{ polls: [{ status: 4 }] }];
    const deps = fakeDeps({
      getToken: async (scope) => {
        if (scope === APP_SERVICE_SCOPE) throw new Error("AADSTS500011: resource principal not found");
        return `token-for:${scope}`;
      },
    });
    await deployPackage(request(), deps);
    expect(publishes()[0]!.headers.authorization).toBe(`Bearer token-for:${ARM}/.default`);
  });

  it("refuses an app that is not on Flex Consumption, without publishing", async () => {
    script.sku = "Dynamic";
    const error = await deployPackage(request(), fakeDeps()).catch((e: unknown) => e);
    expect((error as OneDeployError).kind).toBe("site");
    expect((error as OneDeployError).message).toMatch(/sku "Dynamic", not FlexConsumption/);
    expect(publishes()).toHaveLength(0);
  });

  it("rejects a site id that is not an app's ARM id", async () => {
    await expect(deployPackage({ ...request(), siteId: "app-orders" }, fakeDeps())).rejects.toThrow(/not the ARM id of a Function App/);
  });
});
