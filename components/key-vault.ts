/**
 * Key Vault for the few secrets the system cannot avoid (e.g. a partner's webhook signing key):
 * RBAC authorization only, soft delete, purge protection when data is protected, and secrets that
 * can only come from secret values (never a plain string in the program or the state).
 *
 * Apps read them through Key Vault references (`reference(name)`), granted per secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as authorization from "@pulumi/azure-native/authorization";
import type { NameContext } from "./core/naming";
import { protectedOptions } from "./core/protection";
import { type StandardArgs, applyDiagnostics, applyLock, applyRoleAssignments, effectiveDiagnostics, effectiveLock, resourceName } from "./core/standard";
import type { Tags } from "./core/tags";
import type { Link } from "./core/link";
import { type Grantee, grantRole } from "./core/roles";
import { type PrivateNetworkReference, checkPrivateNetworkReference, privateEndpointIn } from "./network";
import type { NetworkDefaultAction, PublicNetworkAccess } from "./core/network-access";

/** Explicit physical names of a KeyVault's resources. */
export interface KeyVaultPhysicalNames {
  /** The vault (3-24 letters, digits and hyphens, globally unique). @default from the naming helper */
  readonly vault?: string;
}

export interface KeyVaultArgs extends StandardArgs {
  /** The naming helper's prefix and environment. Required unless `physicalNames` names every resource. @default none */
  readonly names?: NameContext;
  /** Explicit physical names. @default from the naming helper */
  readonly physicalNames?: KeyVaultPhysicalNames;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** Entra tenant of the vault. @default the deployer's tenant (`getClientConfig`) */
  readonly tenantId?: pulumi.Input<string>;
  /** Days a deleted vault or secret can be recovered (7-90). Cannot be changed after creation. @default 90 */
  readonly softDeleteRetentionInDays?: number;
  /**
   * Purge protection: deleted secrets and the vault cannot be purged before the retention ends.
   * Once on it can never be turned off, and a destroyed vault's name stays taken for the
   * retention period. @default `protect`
   */
  readonly purgeProtection?: boolean;
  /**
   * @default "Disabled" with `privateNetwork`, else "Enabled" (Key Vault references from Flex apps
   * without a VNet go over the public endpoint)
   */
  readonly publicNetworkAccess?: PublicNetworkAccess;
  /** Firewall default action; trusted Azure services always bypass it. @default "Deny" with `privateNetwork`, else "Allow" */
  readonly networkDefaultAction?: NetworkDefaultAction;
  /**
   * A private endpoint (`vault`) in this network, public network access off and the firewall
   * denying by default. Flex apps resolve Key Vault references through their VNet integration.
   * ~$7.30/month. Pass `privateNetwork.reference` of a PrivateNetwork (its endpoint is then that
   * network's child), or the ids of an existing network's endpoints subnet and `vault` DNS zone.
   * @default none (public endpoint, Entra ID only)
   */
  readonly privateNetwork?: PrivateNetworkReference;
  /**
   * Expiry of every secret set here unless `setSecret` gives its own (ISO 8601 date). Expired
   * secrets stop resolving: rotate before the date. @default no expiry
   */
  readonly secretExpiresOn?: string;
  /** Log Analytics workspace for diagnostics (audit logs). @default no diagnostics */
  readonly workspaceId?: pulumi.Input<string>;
  /** protectData: protect/retainOnDelete and a CanNotDelete lock on the vault. */
  readonly protect: boolean;
}

export interface SecretOptions {
  /** Expiry (ISO 8601 date, e.g. "2027-01-31"). @default the vault's `secretExpiresOn` */
  readonly expiresOn?: string;
  /** Content type hint. @default none */
  readonly contentType?: string;
}

/** Secret names: 1-127 letters, digits and hyphens. */
const SECRET_NAME = /^[A-Za-z0-9-]{1,127}$/;

function epochSeconds(where: string, iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`${where}: expiry "${iso}" is not an ISO 8601 date (e.g. "2027-01-31")`);
  return Math.floor(ms / 1000);
}

/**
 * Resolves when `value` is a secret Output and rejects (naming `where` and the fix) otherwise. A
 * rejection fails the deployment before any resource receives the value.
 */
export async function assertSecret(where: string, value: pulumi.Output<string>): Promise<void> {
  if (!(await pulumi.isSecret(value))) {
    throw new Error(`${where}: the value is not a secret Output; read it with config.requireSecret(...) or wrap it in pulumi.secret(...)`);
  }
}

/**
 * A KeyVault's state its methods use. Kept off the class: the package schema publishes every class
 * field (private and `#private` ones too) as an output in every language.
 */
interface KeyVaultInternals {
  readonly name: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly tags: Tags | undefined;
  readonly secretExpiresOn: string | undefined;
  readonly secrets: Map<string, keyvault.Secret>;
}
const internals = new WeakMap<KeyVault, KeyVaultInternals>();

/** A Key Vault with RBAC authorization, soft delete and (when protected) purge protection. */
export class KeyVault extends pulumi.ComponentResource {
  readonly vaultId: pulumi.Output<string>;
  readonly vaultName: pulumi.Output<string>;
  /** `https://<vault>.vault.azure.net/` */
  readonly vaultUri: pulumi.Output<string>;

  /** What the methods need; an accessor, so the package schema does not publish it as an output. */
  private get internal(): KeyVaultInternals {
    return internals.get(this)!;
  }

  constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
    const where = `KeyVault "${name}"`;
    const retention = args.softDeleteRetentionInDays ?? 90;
    if (!Number.isInteger(retention) || retention < 7 || retention > 90) {
      throw new Error(`${where}: softDeleteRetentionInDays must be 7-90, got ${retention}`);
    }
    if (args.secretExpiresOn !== undefined) epochSeconds(`${where} secretExpiresOn`, args.secretExpiresOn);
    if (args.privateNetwork) checkPrivateNetworkReference(where, "privateNetwork", args.privateNetwork, ["vault"]);
    if (args.privateNetwork && (args.publicNetworkAccess === "Enabled" || args.networkDefaultAction === "Allow")) {
      throw new Error(`${where}: publicNetworkAccess "Enabled" / networkDefaultAction "Allow" keep the vault open although privateNetwork is set; omit them`);
    }
    // Refuse impossible args (above) before anything is registered.
    super("serverless-platform:keyvault:KeyVault", name, {}, opts);
    internals.set(this, { name, resourceGroupName: args.resourceGroupName, tags: args.tags, secretExpiresOn: args.secretExpiresOn, secrets: new Map() });
    const purgeProtection = args.purgeProtection ?? args.protect;

    const vaultName = resourceName(`KeyVault "${name}"`, "physicalNames.vault", "keyVault", args.physicalNames?.vault, args.names, name);
    const vault = new keyvault.Vault(
      `${name}-vault`,
      {
        vaultName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        properties: {
          tenantId: args.tenantId ?? authorization.getClientConfigOutput({ parent: this }).tenantId,
          sku: { family: keyvault.SkuFamily.A, name: keyvault.SkuName.Standard },
          // Azure RBAC for data access (per-secret grants); no access policies.
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          softDeleteRetentionInDays: retention,
          // ARM refuses `false` once enabled, so "off" is expressed by leaving the property out.
          ...(purgeProtection ? { enablePurgeProtection: true } : {}),
          enabledForDeployment: false,
          enabledForDiskEncryption: false,
          enabledForTemplateDeployment: false,
          publicNetworkAccess: args.publicNetworkAccess ?? (args.privateNetwork ? "Disabled" : "Enabled"),
          networkAcls: {
            bypass: keyvault.NetworkRuleBypassOptions.AzureServices,
            defaultAction: args.networkDefaultAction ?? (args.privateNetwork ? "Deny" : "Allow"),
          },
        },
      },
      protectedOptions(args.protect, { parent: this }),
    );
    applyLock(`${name}-vault`, vault.id, effectiveLock(args.lock, args.protect), { parent: this });
    applyRoleAssignments(`${name}-vault`, vault.id, args.roleAssignments, { parent: this });
    if (args.privateNetwork) {
      privateEndpointIn(args.privateNetwork, {
        name: `${name}-vault`,
        target: { resourceId: vault.id, groupId: "vault" },
        names: args.names,
        resourcePhysicalName: vaultName,
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        tags: args.tags,
        parent: this,
      });
    }

    applyDiagnostics(`${name}-vault`, vault.id, effectiveDiagnostics(`KeyVault "${name}"`, args.workspaceId, args.diagnosticSettings), { parent: this });

    this.vaultId = vault.id;
    this.vaultName = vault.name;
    this.vaultUri = vault.properties.apply((p) => p.vaultUri);
    this.registerOutputs({ vaultId: this.vaultId, vaultUri: this.vaultUri });
  }

  /**
   * Stores `value` as secret `name`. `value` must be a secret Output (`config.requireSecret(...)`,
   * `pulumi.secret(...)`): a plain string is refused at once, and an Output that is not marked
   * secret fails the deployment before the secret is written, so a value never lands in the state
   * or the plan in clear text.
   */
  setSecret(name: string, value: pulumi.Output<string>, options: SecretOptions = {}): keyvault.Secret {
    const where = `KeyVault "${this.internal.name}".setSecret("${name}")`;
    if (!pulumi.Output.isInstance(value)) {
      throw new Error(`${where}: the value must be a secret Output (config.requireSecret(...) or pulumi.secret(...)), not a plain ${typeof value}`);
    }
    if (!SECRET_NAME.test(name)) throw new Error(`${where}: secret names are 1-127 letters, digits and hyphens`);
    if (this.internal.secrets.has(name)) throw new Error(`${where}: secret "${name}" is already set in this vault`);
    const expiresOn = options.expiresOn ?? this.internal.secretExpiresOn;
    const expires = expiresOn !== undefined ? epochSeconds(where, expiresOn) : undefined;

    // Secretness is only known asynchronously: the value the provider receives resolves only if it is.
    const checked = pulumi.output(assertSecret(where, value).then(() => value));
    const secret = new keyvault.Secret(
      `${this.internal.name}-${name}`,
      {
        vaultName: this.vaultName,
        resourceGroupName: this.internal.resourceGroupName,
        secretName: name,
        tags: this.internal.tags,
        properties: {
          value: pulumi.secret(checked),
          ...(expires !== undefined ? { attributes: { enabled: true, expires } } : { attributes: { enabled: true } }),
          ...(options.contentType !== undefined ? { contentType: options.contentType } : {}),
        },
      },
      { parent: this },
    );
    this.internal.secrets.set(name, secret);
    return secret;
  }

  /**
   * Stores the stack's secret config value `configKey` (set with `pulumi config set --secret`) as
   * secret `name` (default: the key itself).
   */
  setSecretFromConfig(configKey: string, options: SecretOptions & { readonly name?: string } = {}): keyvault.Secret {
    return this.setSecret(options.name ?? configKey, new pulumi.Config().requireSecret(configKey), options);
  }

  /**
   * Key Vault Secrets User (read secret values) on `secretName` only, or on the whole vault when no
   * secret is named.
   */
  grantSecretsRead(grantee: Grantee, secretName?: string): authorization.RoleAssignment {
    const scope = secretName === undefined ? this.vaultId : this.secret(secretName, "grantSecretsRead").id;
    return grantRole(
      `${this.internal.name}-${grantee.name}-secrets-read${secretName === undefined ? "" : `-${secretName}`}`,
      { scope, principalId: grantee.principalId, role: "keyVaultSecretsUser" },
      { parent: this },
    );
  }

  /**
   * The use "read this secret at run time": the app setting `setting` holds the secret's Key Vault
   * reference, and the consumer's identity gets Key Vault Secrets User on that secret only.
   */
  secretLink(secretName: string, setting: string): Link {
    const reference = this.reference(secretName);
    return {
      description: `secret "${secretName}" of KeyVault "${this.internal.name}"`,
      settings: { [setting]: reference },
      grant: (grantee) => [this.grantSecretsRead(grantee, secretName)],
    };
  }

  /**
   * The app setting value that makes App Service resolve the secret:
   * `@Microsoft.KeyVault(SecretUri=<versionless secret URI>)`. Versionless, so a rotated secret is
   * picked up (App Service re-reads references within 24 hours). With a user-assigned identity the
   * app must also set `keyVaultReferenceIdentity` to that identity's resource id.
   */
  reference(secretName: string): pulumi.Output<string> {
    const secret = this.secret(secretName, "reference");
    // Built from the vault URI (the secret's own `properties` output carries its secret value's
    // secretness); going through the secret's id keeps the app setting after the secret exists.
    return pulumi
      .all([this.vaultUri, secret.id])
      .apply(([vaultUri]) => `@Microsoft.KeyVault(SecretUri=${vaultUri.replace(/\/?$/, "/")}secrets/${secretName})`);
  }

  private secret(name: string, method: string): keyvault.Secret {
    const s = this.internal.secrets.get(name);
    if (!s) {
      throw new Error(`KeyVault "${this.internal.name}".${method}: no secret "${name}" set here; call setSecret first (set: ${[...this.internal.secrets.keys()].join(", ") || "none"})`);
    }
    return s;
  }
}
