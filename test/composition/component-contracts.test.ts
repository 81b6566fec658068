/**
 * Facts a component owns that service code also relies on: the components cannot import the
 * services' shared module (they ship alone), so these tests tie the two copies.
 */
import { describe, expect, it } from "vitest";
import { IDENTITY_CLIENT_ID_SETTING } from "../../components/function-app";
import { DEFAULT_EVENT_SCHEMA, type EventSchema } from "../../components/event-grid";
import { settingNames } from "../../functions-src/shared/manifest";
import { EVENT_SCHEMAS, PLATFORM_TOPIC_INPUT_SCHEMA, type TopicInputSchema } from "../../functions-src/shared/event-schema";

describe("component facts the services share", () => {
  it("the app identity's client id setting is the one service code reads", () => {
    expect(IDENTITY_CLIENT_ID_SETTING).toBe(settingNames.identityClientId);
  });

  it("every envelope the publisher speaks is a schema the topic component accepts, CloudEvents by default on both sides", () => {
    const accepted: readonly EventSchema[] = Object.keys(EVENT_SCHEMAS) as TopicInputSchema[];
    expect(accepted).toContain(DEFAULT_EVENT_SCHEMA);
    expect(DEFAULT_EVENT_SCHEMA).toBe(PLATFORM_TOPIC_INPUT_SCHEMA);
  });
});
