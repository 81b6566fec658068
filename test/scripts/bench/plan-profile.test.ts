import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { bucketProfile, type CpuProfile } from "../../../scripts/bench/plan-profile";

const ROOT = path.resolve(__dirname, "../../..");

/** A profile whose nodes are chains under the root: each chain is [functionName, url] from the root's child down. */
function profile(chains: readonly { readonly frames: readonly (readonly [string, string])[]; readonly us: number }[]): CpuProfile {
  const nodes: { id: number; callFrame: { functionName: string; url: string }; children: number[] }[] = [{ id: 1, callFrame: { functionName: "(root)", url: "" }, children: [] }];
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  for (const chain of chains) {
    let parent = nodes[0]!;
    for (const [functionName, url] of chain.frames) {
      const node = { id: nodes.length + 1, callFrame: { functionName, url }, children: [] as number[] };
      nodes.push(node);
      parent.children.push(node.id);
      parent = node;
    }
    samples.push(parent.id);
    timeDeltas.push(chain.us);
  }
  return { nodes, samples, timeDeltas };
}

describe("plan-profile: each CPU sample in one bucket, by the first rule its stack matches", () => {
  it("sorts samples into garbage collection, policy, pricing, Pulumi runtime, TypeScript transform, the program; drops idle", () => {
    const buckets = bucketProfile(
      profile([
        { frames: [["(garbage collector)", ""]], us: 5000 },
        { frames: [["(idle)", ""]], us: 9000 },
        { frames: [["main", `${ROOT}/engine/cli/plan.ts`], ["evaluatePolicies", `${ROOT}/engine/policy-runner.ts`], ["output", "file:///x/node_modules/@pulumi/pulumi/output.js"]], us: 3000 },
        { frames: [["main", `${ROOT}/engine/cli/plan.ts`], ["priceStack", `${ROOT}/engine/report.ts`]], us: 1000 },
        { frames: [["registerResource", "/x/node_modules/@pulumi/pulumi/runtime/resource.js"]], us: 4000 },
        { frames: [["transform", "/x/node_modules/tsx/dist/register.cjs"]], us: 2000 },
        { frames: [["FunctionApp", `${ROOT}/components/function-app/index.ts`]], us: 1500 },
        { frames: [["serializeFunction", "/x/node_modules/@pulumi/pulumi/runtime/closure/serializeClosure.js"], ["parse", "/x/node_modules/typescript/lib/typescript.js"]], us: 700 },
      ]),
    );
    expect(Object.fromEntries(buckets.map((b) => [b.bucket, b.ms]))).toEqual({
      "garbage collection": 5,
      "policy evaluation": 3,
      pricing: 1,
      "Pulumi runtime (registrations under mocks, outputs, RPC)": 4,
      "TypeScript transform (tsx, esbuild)": 2,
      "program and simulator (components, composition, lib, engine)": 1.5,
      "Pulumi's closure serializer (loading it, with TypeScript; serializing the dynamic provider)": 0.7,
    });
    expect(buckets.map((b) => b.ms)).toEqual([...buckets.map((b) => b.ms)].sort((a, b) => b - a));
  });
});
