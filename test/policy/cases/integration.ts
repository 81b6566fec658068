/** API Management, Application Insights, Event Grid and Service Bus rules. */
import { set, with_ } from "../harness";
import { T, api, apim, backend, component, eventSubscription, flexApp, sbNamespace, storageAccount, topic } from "../resources";
import type { RuleCase } from "./types";

const storage = { type: T.storage, props: storageAccount, note: "a storage account" };
const SEC = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";
/** customProperties keys contain dots: set them without the dotted-path helper. */
const withCustom = (key: string, value: string) => set(apim, "customProperties", { ...(apim.customProperties as object), [`${SEC}.${key}`]: value });

export const integrationCases: RuleCase[] = [
  // ---------------------------------------------------------------- API Management
  {
    rule: "apim-min-api",
    compliant: [
      { type: T.apim, props: apim, note: 'minApiVersion "2021-08-01"' },
      { type: T.apim, props: set(apim, "apiVersionConstraint.minApiVersion", "2022-08-01"), note: 'minApiVersion "2022-08-01"' },
    ],
    violating: [
      { type: T.apim, props: set(apim, "apiVersionConstraint", undefined), note: "no constraint", expect: /minApiVersion unset: set it to "2021-08-01" or later/ },
      { type: T.apim, props: set(apim, "apiVersionConstraint.minApiVersion", "2019-12-01"), note: 'minApiVersion "2019-12-01"', expect: /"2019-12-01"/ },
    ],
    notApplicable: [{ type: T.api, props: api, note: "an API" }],
  },
  {
    rule: "apim-protocols",
    compliant: [
      { type: T.apim, props: apim, note: 'legacy protocols "False"' },
      { type: T.apim, props: set(apim, "customProperties", undefined), note: "no customProperties (defaults off)" },
    ],
    violating: [
      { type: T.apim, props: withCustom("Protocols.Tls10", "True"), note: 'client TLS 1.0 "True"', expect: /Protocols\.Tls10"\] is "True"; set it to "False"/ },
      { type: T.apim, props: withCustom("Backend.Protocols.Tls11", "true"), note: 'backend TLS 1.1 "true"', expect: /Backend\.Protocols\.Tls11/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "apim-ciphers",
    compliant: [{ type: T.apim, props: apim, note: 'TripleDes168 "False"' }],
    violating: [
      { type: T.apim, props: withCustom("Ciphers.TripleDes168", "True"), note: '3DES "True"', expect: /weak cipher TripleDes168/ },
      { type: T.apim, props: withCustom("Ciphers.TLS_RSA_WITH_AES_128_CBC_SHA", "True"), note: "a CBC cipher on", expect: /TLS_RSA_WITH_AES_128_CBC_SHA/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "apim-identity",
    compliant: [{ type: T.apim, props: apim, note: "system-assigned identity" }],
    violating: [
      { type: T.apim, props: set(apim, "identity", undefined), note: "no identity", expect: /identity\.type unset/ },
      { type: T.apim, props: set(apim, "identity.type", "None"), note: 'identity type "None"', expect: /"None"/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "apim-https",
    compliant: [
      { type: T.api, props: api, note: 'an API with protocols ["https"]' },
      { type: T.api, props: set(api, "protocols", ["wss"]), note: 'a WebSocket API with ["wss"]' },
      { type: T.backend, props: backend, note: "an https backend" },
    ],
    violating: [
      { type: T.api, props: set(api, "protocols", ["http", "https"]), note: "an API that also serves http", expect: /protocols \["http","https"\]: use \["https"\]/ },
      { type: T.api, props: set(api, "protocols", undefined), note: "an API without protocols", expect: /does not set protocols/ },
      { type: T.backend, props: set(backend, "url", "http://payments.contoso.example/api"), note: "an http backend", expect: /use an https:\/\/ url/ },
    ],
    notApplicable: [{ type: T.backend, props: set(backend, "url", undefined), note: "a pool backend without url" }, { type: T.apim, props: apim, note: "the service" }],
  },
  // ---------------------------------------------------------------- Application Insights
  {
    rule: "appi-workspace",
    compliant: [
      { type: T.component, props: component, note: "workspace-based" },
      { type: T.component, props: set(component, "ingestionMode", undefined), note: "ingestionMode unset" },
    ],
    violating: [
      { type: T.component, props: set(component, "workspaceResourceId", undefined), note: "no workspace", expect: /no workspaceResourceId/ },
      { type: T.component, props: set(component, "ingestionMode", "ApplicationInsights"), note: 'ingestionMode "ApplicationInsights"', expect: /ingestionMode "ApplicationInsights": set it to "LogAnalytics"/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "appi-local-auth",
    compliant: [{ type: T.component, props: component, note: "disableLocalAuth: true" }],
    violating: [{ type: T.component, props: set(component, "disableLocalAuth", undefined), note: "local auth on", expect: /disableLocalAuth unset: set it to true/ }],
    notApplicable: [storage],
  },
  // ---------------------------------------------------------------- Event Grid
  {
    rule: "eg-local-auth",
    compliant: [
      { type: T.topic, props: topic, note: "a topic with local auth off" },
      { type: T.domain, props: { ...topic, topicName: undefined, domainName: "contoso-evgd-p" }, note: "a domain with local auth off" },
    ],
    violating: [
      { type: T.topic, props: set(topic, "disableLocalAuth", false), note: "a topic with local auth", expect: /Event Grid topic "res" has disableLocalAuth false/ },
      { type: T.domain, props: set(topic, "disableLocalAuth", undefined), note: "a domain with local auth", expect: /Event Grid domain/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "eg-min-tls",
    compliant: [{ type: T.topic, props: topic, note: '"1.2"' }],
    violating: [
      { type: T.topic, props: set(topic, "minimumTlsVersionAllowed", "1.0"), note: '"1.0"', expect: /minimumTlsVersionAllowed "1\.0": set it to "1\.2"/ },
      { type: T.topic, props: set(topic, "minimumTlsVersionAllowed", undefined), note: "unset", expect: /unset/ },
    ],
    notApplicable: [storage],
  },
  {
    rule: "eg-identity",
    compliant: [
      { type: T.topic, props: topic, note: "a topic with a user-assigned identity" },
      { type: T.systemTopic, props: { resourceGroupName: "rg", systemTopicName: "st", source: "x", topicType: "Microsoft.Storage.StorageAccounts", identity: { type: "SystemAssigned" } }, note: "a system topic with identity" },
      { type: T.eventSub, props: eventSubscription, note: "a subscription delivering with the topic's identity" },
      { type: T.topicSub, props: { ...eventSubscription, scope: undefined, topicName: "t", resourceGroupName: "rg" }, note: "a topic subscription delivering with identity" },
      { type: T.eventSub, props: { scope: "x", destination: { endpointType: "WebHook", endpointUrl: "https://hooks.example/e" } }, note: "a webhook subscription" },
    ],
    violating: [
      { type: T.topic, props: set(topic, "identity", undefined), note: "a topic without identity", expect: /identity\.type unset: give it a managed identity/ },
      { type: T.systemTopic, props: { resourceGroupName: "rg", systemTopicName: "st" }, note: "a system topic without identity", expect: /system topic "res" has identity\.type unset/ },
      {
        type: T.eventSub,
        props: { scope: "x", destination: { endpointType: "StorageQueue", resourceId: "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/a", queueName: "q" } },
        note: "a storage queue subscription without identity",
        expect: /delivers to StorageQueue through destination.*deliveryWithResourceIdentity/,
      },
      {
        type: T.eventSub,
        props: with_(eventSubscription, { deadLetterDestination: { endpointType: "StorageBlob", resourceId: "x", blobContainerName: "dead" } }),
        note: "dead-lettering without identity",
        expect: /deadLetterWithResourceIdentity/,
      },
    ],
    notApplicable: [{ type: T.eventSub, props: { scope: "x" }, note: "a subscription without destination" }, storage],
  },
  // ---------------------------------------------------------------- Service Bus
  {
    rule: "sb-local-auth",
    compliant: [{ type: T.sb, props: sbNamespace, note: "disableLocalAuth: true" }],
    violating: [{ type: T.sb, props: set(sbNamespace, "disableLocalAuth", undefined), note: "SAS keys on", expect: /disableLocalAuth unset: set it to true/ }],
    notApplicable: [{ type: T.topic, props: topic, note: "an Event Grid topic" }],
  },
  {
    rule: "sb-min-tls",
    compliant: [
      { type: T.sb, props: sbNamespace, note: '"1.2"' },
      { type: T.sb, props: set(sbNamespace, "minimumTlsVersion", "1.3"), note: '"1.3"' },
    ],
    violating: [{ type: T.sb, props: set(sbNamespace, "minimumTlsVersion", "1.1"), note: '"1.1"', expect: /minimumTlsVersion "1\.1": set it to "1\.2"/ }],
    notApplicable: [{ type: T.app, props: flexApp, note: "a web app" }],
  },
];
