/**
 * The public-endpoint switches Azure data services share (Key Vault, Storage, Cosmos DB, Event
 * Grid), as named enums: the package schema gives other Pulumi languages a named enum only for a
 * constant object with its type of the same name (@pulumi/pulumi provider/experimental/analyzer.js,
 * extractEnumMembers), never for an inline `"a" | "b"`.
 */

/** Whether a resource's public endpoint accepts traffic (subject to its firewall). */
export const PublicNetworkAccess = {
  Enabled: "Enabled",
  Disabled: "Disabled",
} as const;
export type PublicNetworkAccess = (typeof PublicNetworkAccess)[keyof typeof PublicNetworkAccess];

/** What a resource firewall does with traffic no rule matches. */
export const NetworkDefaultAction = {
  Allow: "Allow",
  Deny: "Deny",
} as const;
export type NetworkDefaultAction = (typeof NetworkDefaultAction)[keyof typeof NetworkDefaultAction];
