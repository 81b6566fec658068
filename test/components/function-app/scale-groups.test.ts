import { describe, expect, it } from "vitest";
import { scaleGroupOf, scaleGroups } from "../../../components/function-app/scale-groups";

describe("Flex scale groups", () => {
  it.each([
    ["httpTrigger", "http"],
    ["orchestrationTrigger", "durable"],
    ["activityTrigger", "durable"],
    ["entityTrigger", "durable"],
    ["blobTrigger", "blob"],
    ["timerTrigger", "function:fn"],
    ["queueTrigger", "function:fn"],
    ["cosmosDBTrigger", "function:fn"],
  ])("%s scales in group %s", (trigger, group) => {
    expect(scaleGroupOf({ name: "fn", trigger })).toBe(group);
  });

  it("lists each group once, in first-seen order", () => {
    expect(
      scaleGroups([
        { name: "a", trigger: "httpTrigger" },
        { name: "b", trigger: "httpTrigger" },
        { name: "relay", trigger: "timerTrigger" },
        { name: "o", trigger: "orchestrationTrigger" },
        { name: "x", trigger: "activityTrigger" },
      ]),
    ).toEqual(["http", "function:relay", "durable"]);
  });
});
