/**
 * The gateway's health API: `GET https://<gateway>/health/<service>` reaches each service's own
 * health route through the same gateway, without a subscription key or a token, so an availability
 * test can probe the whole path (DNS, TLS, gateway, Function App) without holding any secret.
 *
 * It exposes nothing but the health routes, which the Function Apps exclude from authentication and
 * which return no data.
 */
import * as pulumi from "@pulumi/pulumi";
import * as apimanagement from "@pulumi/azure-native/apimanagement";
import { policyDocument, setBackendService, type XmlElement } from "./policies";

export interface HealthTarget {
  /** Service name: the route is `/health/<service>`. */
  readonly service: string;
  /** The Function App's default host name. */
  readonly hostName: pulumi.Input<string>;
  /** The app's health path including its route prefix, e.g. `/api/health`. */
  readonly path: string;
}

export interface HealthApiArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly serviceName: pulumi.Input<string>;
  readonly targets: readonly HealthTarget[];
}

export const HEALTH_API_PATH = "health";

/** The policy of one health operation: forward to the app's health path, nothing else. */
export function healthOperationPolicy(hostName: string, path: string): string {
  if (!/^\/[A-Za-z0-9/_-]*$/.test(path)) throw new Error(`health path must be an absolute path, got "${path}"`);
  const rewrite: XmlElement = { name: "rewrite-uri", attributes: { template: path, "copy-unmatched-params": false } };
  return policyDocument({ inbound: [setBackendService({ baseUrl: `https://${hostName}` }), rewrite] }).xml;
}

export class HealthApi extends pulumi.ComponentResource {
  readonly path = HEALTH_API_PATH;

  constructor(name: string, args: HealthApiArgs, opts?: pulumi.ComponentResourceOptions) {
    const seen = new Set<string>();
    for (const t of args.targets) {
      if (!/^[a-z][a-z0-9-]*$/.test(t.service)) throw new Error(`health target "${t.service}": lowercase letters, digits and hyphens only`);
      if (seen.has(t.service)) throw new Error(`health target "${t.service}" is listed twice`);
      seen.add(t.service);
    }
    super("serverless-platform:apimanagement:HealthApi", name, {}, opts);
    const common = { resourceGroupName: args.resourceGroupName, serviceName: args.serviceName };
    const api = new apimanagement.Api(
      `${name}-api`,
      {
        ...common,
        apiId: "health",
        path: HEALTH_API_PATH,
        displayName: "Health",
        description: "Anonymous health probes of each service, for availability tests.",
        protocols: [apimanagement.Protocol.Https],
        // No key: availability tests must not hold secrets; the routes return no data.
        subscriptionRequired: false,
        apiType: apimanagement.ApiType.Http,
      },
      { parent: this },
    );
    for (const t of args.targets) {
      const operation = new apimanagement.ApiOperation(
        `${name}-${t.service}`,
        {
          ...common,
          apiId: api.name,
          operationId: `${t.service}-health`,
          displayName: `${t.service} health`,
          method: "GET",
          urlTemplate: `/${t.service}`,
          responses: [{ statusCode: 200, description: "The service is healthy." }],
        },
        { parent: this },
      );
      new apimanagement.ApiOperationPolicy(
        `${name}-${t.service}-policy`,
        {
          ...common,
          apiId: api.name,
          operationId: operation.name,
          policyId: "policy",
          format: apimanagement.PolicyContentFormat.Rawxml,
          value: pulumi.output(t.hostName).apply((host) => healthOperationPolicy(host, t.path)),
        },
        { parent: this },
      );
    }
    this.registerOutputs({});
  }
}
