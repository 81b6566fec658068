/**
 * The network half of the composition: the stack's `network.mode` decides whether a private network
 * exists, and these helpers turn it into the components' options (each spreads into the component's
 * args and is empty in `public` mode, so a public stack plans exactly as before).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../lib/config";
import type { NameContext } from "@contoso/serverless-platform";
import type { Tags } from "@contoso/serverless-platform";
import type { ServiceManifest } from "../functions-src/shared/manifest";
import type { FunctionAppNetwork, PrivateNetworkReference } from "@contoso/serverless-platform";
import { PrivateNetwork } from "@contoso/serverless-platform";

/** What every component of the composition receives. */
export interface NetworkCommon {
  readonly names: NameContext;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  readonly tags: Tags;
}

/** The private network for `network.mode: private` (an always-on cost), or undefined for `public`. */
export function createNetwork(config: StackConfig, common: NetworkCommon): PrivateNetwork | undefined {
  if (config.network.mode !== "private") return undefined;
  return new PrivateNetwork("network", {
    ...common,
    addressSpace: config.network.addressSpace,
    ...(config.network.appsSubnetPrefix !== undefined ? { appsSubnetPrefix: config.network.appsSubnetPrefix } : {}),
    ...(config.network.endpointsSubnetPrefix !== undefined ? { endpointsSubnetPrefix: config.network.endpointsSubnetPrefix } : {}),
  });
}

/** `{ privateNetwork }` for CosmosDb, Messaging and KeyVault (their endpoints are the network's children); `{}` without a network. */
export function privateNetworkArg(net: PrivateNetwork | undefined): { readonly privateNetwork?: PrivateNetworkReference } {
  return net ? { privateNetwork: net.reference } : {};
}

/**
 * `{ network }` for a service's FunctionApp: services with an HTTP API sit behind the gateway
 * ("gateway-only": public site, App Service authentication admits the gateway's identity only); the
 * others refuse every request to the site ("deny"). `{}` without a network.
 */
export function functionAppNetworkArg(net: PrivateNetwork | undefined, manifest: Pick<ServiceManifest, "http">): { readonly network?: FunctionAppNetwork } {
  return net ? { network: { privateNetwork: net.reference, inbound: manifest.http ? "gateway-only" : "deny" } } : {};
}

/**
 * `{ deliveryIdentityType }` for an EventTopic: behind the messaging account's firewall, Event Grid
 * delivers only with the topic's system-assigned identity. `{}` without a network.
 */
export function topicDeliveryArg(net: PrivateNetwork | undefined): { readonly deliveryIdentityType?: "SystemAssigned" } {
  return net ? { deliveryIdentityType: "SystemAssigned" } : {};
}
