/**
 * The pack as `pulumi preview --policy-pack policy` runs it: @pulumi/pulumi's run-policy-pack
 * starts `policy/` (TypeScript through Pulumi's ts-node, type-checked), PolicyPack serves the
 * analyzer gRPC API, and this test plays the engine: GetAnalyzerInfo, Configure (as from
 * --policy-pack-config), Analyze and AnalyzeStack.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies, prodOnlyPolicyNames } from "../../policy/rules";
import { readPolicyConfigFile } from "../../engine/policy-runner";
import { flexApp, storageAccount } from "./resources";

const ROOT = path.resolve(__dirname, "../..");
const RUN_POLICY_PACK = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");

let pack: ChildProcess;
let client: analyzerGrpc.AnalyzerClient;

beforeAll(async () => {
  // The engine address is only used by the pack for logging; nothing listens there.
  pack = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "."], { cwd: path.join(ROOT, "policy"), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  pack.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    pack.stdout!.on("data", (d: Buffer) => {
      const m = /^\s*(\d+)\s*$/m.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    pack.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
  });
  client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
  client?.close();
  if (pack?.pid) pack.kill();
});

const call = <Req, Res>(method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> =>
  new Promise((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));

function options(): analyzerPb.AnalyzerResourceOptions {
  return new analyzerPb.AnalyzerResourceOptions().setCustomtimeouts(new analyzerPb.AnalyzerResourceOptions.CustomTimeouts());
}

function analyzeRequest(type: string, name: string, props: Record<string, unknown>): analyzerPb.AnalyzeRequest {
  return new analyzerPb.AnalyzeRequest()
    .setType(type)
    .setName(name)
    .setUrn(`urn:pulumi:prod::serverless-platform::${type}::${name}`)
    .setProperties(Struct.fromJavaScript(props as Record<string, never>))
    .setOptions(options());
}

const diagnostics = (res: analyzerPb.AnalyzeResponse) =>
  res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));

describe("policy pack served by the Pulumi policy runtime", () => {
  it("announces every policy with its level", async () => {
    const info = await call<Empty, analyzerPb.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
    expect(info.getName()).toBe("serverless-platform");
    expect(info.getVersion()).toBe("0.1.0");
    const announced = new Map(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]));
    expect([...announced.keys()].sort()).toEqual(policies.map((p) => p.name).sort());
    for (const p of policies) {
      expect(announced.get(p.name), p.name).toBe(p.enforcementLevel === "mandatory" ? analyzerPb.EnforcementLevel.MANDATORY : analyzerPb.EnforcementLevel.ADVISORY);
    }
  });

  it("applies a stack's config file (levels and properties) and reports resource violations", async () => {
    const dev = readPolicyConfigFile(path.join(ROOT, "policy/config.dev.json"));
    const req = new analyzerPb.ConfigureAnalyzerRequest();
    const levels = { advisory: analyzerPb.EnforcementLevel.ADVISORY, mandatory: analyzerPb.EnforcementLevel.MANDATORY };
    for (const [name, value] of Object.entries(dev)) {
      const { enforcementLevel, ...props } = typeof value === "string" ? { enforcementLevel: value } : value;
      const cfg = new analyzerPb.PolicyConfig().setProperties(Struct.fromJavaScript(props as Record<string, never>));
      if (enforcementLevel === "advisory" || enforcementLevel === "mandatory") cfg.setEnforcementlevel(levels[enforcementLevel]);
      req.getPolicyconfigMap().set(name, cfg);
    }
    await call<analyzerPb.ConfigureAnalyzerRequest, Empty>(client.configure, req);

    const insecure = { ...flexApp, httpsOnly: false, publicNetworkAccess: "Enabled", tags: { owner: "x" } };
    const found = diagnostics(await call(client.analyze, analyzeRequest("azure-native:web:WebApp", "orders-app", insecure)));
    const byPolicy = new Map(found.map((d) => [d.policy, d]));
    expect(byPolicy.get("web-https-only")).toMatchObject({ level: analyzerPb.EnforcementLevel.MANDATORY, message: expect.stringMatching(/httpsOnly: true/) });
    // A prod-only rule is advisory under the dev config.
    expect(prodOnlyPolicyNames).toContain("st-network");
    const open = diagnostics(await call(client.analyze, analyzeRequest("azure-native:storage:StorageAccount", "open", { ...storageAccount, networkRuleSet: { defaultAction: "Allow" } })));
    expect(open.find((d) => d.policy === "st-network")?.level).toBe(analyzerPb.EnforcementLevel.ADVISORY);
    // Config properties reach getConfig: the dev requiredTags.
    expect(byPolicy.get("tags-required")?.message).toMatch(/missing the required tag\(s\) costCenter, environment, managedBy/);

    const clean = diagnostics(await call(client.analyze, analyzeRequest("azure-native:storage:StorageAccount", "host", storageAccount)));
    expect(clean.filter((d) => d.level === analyzerPb.EnforcementLevel.MANDATORY)).toEqual([]);
  });

  it("runs stack policies on AnalyzeStack with property dependencies", async () => {
    const urn = (type: string, name: string) => `urn:pulumi:prod::serverless-platform::${type}::${name}`;
    const app = new analyzerPb.AnalyzerResource()
      .setType("azure-native:web:WebApp")
      .setName("orders-app")
      .setUrn(urn("azure-native:web:WebApp", "orders-app"))
      .setProperties(Struct.fromJavaScript(flexApp as Record<string, never>))
      .setOptions(options());
    const ftp = new analyzerPb.AnalyzerResource()
      .setType("azure-native:web:WebAppFtpAllowed")
      .setName("orders-ftp")
      .setUrn(urn("azure-native:web:WebAppFtpAllowed", "orders-ftp"))
      .setProperties(Struct.fromJavaScript({ name: "ftp", allow: false }))
      .setOptions(options());
    ftp.getPropertydependenciesMap().set("name", new analyzerPb.AnalyzerPropertyDependencies().setUrnsList([app.getUrn()]));
    const res = await call<analyzerPb.AnalyzeStackRequest, analyzerPb.AnalyzeResponse>(client.analyzeStack, new analyzerPb.AnalyzeStackRequest().setResourcesList([app, ftp]));
    const basicAuth = diagnostics(res).filter((d) => d.policy === "web-basic-auth-off");
    expect(basicAuth).toEqual([{ policy: "web-basic-auth-off", level: analyzerPb.EnforcementLevel.MANDATORY, message: expect.stringMatching(/has no web:WebAppScmAllowed/) }]);
  });
});
