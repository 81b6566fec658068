import { describe, expect, it } from "vitest";
import { COSMOS_DATA_ROLE, ROLE } from "../../../policy/rules/identity";
import { UNKNOWN_STRING, checkStack, rule, set, type StackRes } from "../harness";
import {
  RG,
  SUB,
  T,
  UAMI_PRINCIPAL_ID,
  classicApp,
  component,
  cosmosAccount,
  flexApp,
  queue,
  storageAccount,
  topic,
  uami,
  vault,
} from "../resources";

const policy = rule("func-identity-least-privilege");
const armId = (type: string, name: string) => `${RG}/providers/${type}/${name}`;
const roleId = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

/** The stack the app's settings talk about. */
const base: StackRes[] = [
  { type: T.uami, name: "orders-identity", props: { ...uami, principalId: UAMI_PRINCIPAL_ID } },
  { type: T.app, name: "orders-app", props: flexApp, deps: { identity: ["orders-identity"] } },
  { type: T.storage, name: "host", props: storageAccount },
  { type: T.storage, name: "messaging", props: set(storageAccount, "accountName", "contosostmsg") },
  { type: T.queue, name: "requests", props: queue },
  { type: T.cosmos, name: "cosmos", props: cosmosAccount },
  { type: T.topic, name: "order-events", props: topic },
  { type: T.topic, name: "other-events", props: set(topic, "topicName", "contoso-evgt-other-p") },
  { type: T.component, name: "insights", props: { ...component, appId: "aaaaaaaa-2222-4333-a444-555555555555" } },
  { type: T.vault, name: "vault", props: vault },
];

interface Grant {
  readonly name: string;
  readonly role: string;
  /** ARM id, or a resource's logical name (its id only known after deployment). */
  readonly scope: string;
  readonly principal?: string;
  readonly principalDeps?: readonly string[];
}

function grant(g: Grant): StackRes {
  const byName = base.find((r) => r.name === g.scope);
  return {
    type: T.roleAssignment,
    name: g.name,
    props: {
      scope: byName ? UNKNOWN_STRING : g.scope,
      roleDefinitionId: roleId(g.role),
      principalId: g.principal ?? UNKNOWN_STRING,
      principalType: "ServicePrincipal",
    },
    deps: {
      ...(byName ? { scope: [g.scope] } : {}),
      ...(g.principal ? {} : { principalId: g.principalDeps ?? ["orders-identity"] }),
    },
  };
}

function cosmosGrant(name: string, role: string, account = "cosmos"): StackRes {
  return {
    type: T.cosmosRole,
    name,
    props: {
      resourceGroupName: "contoso-platform-p",
      accountName: UNKNOWN_STRING,
      principalId: UAMI_PRINCIPAL_ID,
      roleDefinitionId: `${armId("Microsoft.DocumentDB/databaseAccounts", "contoso-cosmos-p")}/sqlRoleDefinitions/${role}`,
      scope: armId("Microsoft.DocumentDB/databaseAccounts", "contoso-cosmos-p"),
    },
    deps: { accountName: [account] },
  };
}

const needed: StackRes[] = [
  grant({ name: "host-blob", role: ROLE.storageBlobDataOwner, scope: "host" }),
  grant({ name: "host-queue", role: ROLE.storageQueueDataContributor, scope: "host" }),
  grant({ name: "host-table", role: ROLE.storageTableDataContributor, scope: "host" }),
  grant({ name: "queue-process", role: ROLE.storageQueueDataContributor, scope: "requests" }),
  grant({ name: "publish", role: ROLE.eventGridDataSender, scope: "order-events" }),
  grant({ name: "telemetry", role: ROLE.monitoringMetricsPublisher, scope: "insights" }),
  grant({ name: "secrets", role: ROLE.keyVaultSecretsUser, scope: armId("Microsoft.KeyVault/vaults", "contoso-kv-p") + "/secrets/payment-api-key" }),
  cosmosGrant("data", COSMOS_DATA_ROLE.contributor),
];

const run = (...extra: StackRes[]) => checkStack(policy, [...base, ...extra]);

describe("func-identity-least-privilege", () => {
  it("passes the grants the app's settings need, each on its resource", () => {
    expect(run(...needed)).toEqual({ violations: [], applicable: true });
  });

  it("flags Owner, Contributor and User Access Administrator", () => {
    const { violations } = run(
      grant({ name: "owner", role: ROLE.owner, scope: "host" }),
      grant({ name: "contributor", role: ROLE.contributor, scope: RG }),
      grant({ name: "uaa", role: ROLE.userAccessAdministrator, scope: "vault" }),
    );
    expect(violations.map((v) => v.name)).toEqual(["owner", "contributor", "uaa"]);
    expect(violations[0]!.message).toMatch(/role assignment "owner" gives Owner to the identity of function app "orders-app": remove it/);
    expect(violations[2]!.message).toMatch(/User Access Administrator/);
  });

  it("flags a needed data role at subscription or resource-group scope", () => {
    const { violations } = run(
      grant({ name: "sub", role: ROLE.storageQueueDataContributor, scope: SUB }),
      grant({ name: "rg", role: ROLE.storageBlobDataOwner, scope: `${RG}/` }),
    );
    expect(violations.map((v) => [v.name, v.message])).toEqual([
      ["sub", expect.stringMatching(/grants Storage Queue Data Contributor to function app "orders-app" at subscription scope: scope it to the one resource/)],
      ["rg", expect.stringMatching(/at resource group scope/)],
    ]);
  });

  it("flags a data role on a resource no setting uses", () => {
    const { violations } = run(grant({ name: "other-topic", role: ROLE.eventGridDataSender, scope: "other-events" }));
    expect(violations).toEqual([
      {
        name: "other-topic",
        message: expect.stringMatching(/grants EventGrid Data Sender on Event Grid topic "contoso-evgt-other-p" to function app "orders-app", which does not need it \(no setting of the app uses that resource\)/),
      },
    ]);
  });

  it("flags a role broader than the binding on that resource needs", () => {
    const { violations } = run(grant({ name: "msg-blob", role: ROLE.storageBlobDataOwner, scope: "messaging" }));
    expect(violations[0]!.message).toMatch(/Storage Blob Data Owner on storage account "contosostmsg" .*its settings \(QUEUES__queueServiceUri\) need only Storage Queue Data Contributor/);
  });

  it("flags a Cosmos DB data role on an account the app does not use", () => {
    const otherAccount: StackRes = { type: T.cosmos, name: "other-cosmos", props: set(cosmosAccount, "accountName", "contoso-cosmos-x") };
    const { violations } = checkStack(policy, [...base, otherAccount, cosmosGrant("other-data", COSMOS_DATA_ROLE.reader, "other-cosmos")]);
    expect(violations).toEqual([
      { name: "other-data", message: expect.stringMatching(/grants Cosmos DB Built-in Data Reader on Cosmos DB account "contoso-cosmos-x" .* no setting of the app \(<CONN>__accountEndpoint\) uses that account/) },
    ]);
  });

  it("finds the principal by its id when the assignment has no dependency", () => {
    const { violations } = run(grant({ name: "by-id", role: ROLE.reader, scope: "host", principal: UAMI_PRINCIPAL_ID }));
    expect(violations.map((v) => v.name)).toEqual(["by-id"]);
  });

  it("reads needs from a separate WebAppApplicationSettings and judges a system-assigned identity", () => {
    const legacy: StackRes = {
      type: T.app,
      name: "legacy-app",
      props: { ...set(classicApp, "siteConfig.appSettings", undefined), identity: { type: "SystemAssigned", principalId: "11111111-0000-4000-a000-000000000001" } },
    };
    const legacySettings: StackRes = {
      type: T.appSettings,
      name: "legacy-settings",
      props: { name: "contoso-func-legacy-p", resourceGroupName: "contoso-platform-p", properties: { TOPIC_OTHER_ENDPOINT: "https://contoso-evgt-other-p.eastus2-1.eventgrid.azure.net/api/events" } },
      deps: { name: ["legacy-app"] },
    };
    const ok = grant({ name: "legacy-publish", role: ROLE.eventGridDataSender, scope: "other-events", principalDeps: ["legacy-app"] });
    const extra = grant({ name: "legacy-blob", role: ROLE.storageBlobDataReader, scope: "host", principal: "11111111-0000-4000-a000-000000000001" });
    const { violations } = run(legacy, legacySettings, ok, extra);
    expect(violations.map((v) => v.name)).toEqual(["legacy-blob"]);
  });

  it("ignores grants to identities that are not function apps'", () => {
    const topicIdentity: StackRes = { type: T.uami, name: "topic-identity", props: { ...uami, resourceName: "contoso-id-topic-p", principalId: "22222222-0000-4000-a000-000000000002" } };
    const delivery = grant({ name: "deliver", role: ROLE.storageQueueDataMessageSender, scope: "messaging", principalDeps: ["topic-identity"] });
    expect(run(topicIdentity, delivery).violations).toEqual([]);
  });

  it("judges only role and scope when the app's settings are not visible (outputs after an update)", () => {
    const outputsOnly: StackRes[] = base.map((r) => (r.name === "orders-app" ? { ...r, props: set(flexApp, "siteConfig.appSettings", undefined) } : r));
    const { violations } = checkStack(policy, [
      ...outputsOnly,
      grant({ name: "unused", role: ROLE.eventGridDataSender, scope: "other-events" }),
      grant({ name: "owner", role: ROLE.owner, scope: "host" }),
    ]);
    expect(violations.map((v) => v.name)).toEqual(["owner"]);
  });

  it("does not apply to a stack without function apps", () => {
    expect(checkStack(policy, [{ type: T.storage, name: "s", props: storageAccount }]).applicable).toBe(false);
  });
});
