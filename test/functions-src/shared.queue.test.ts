/**
 * Dead-lettering never fails on the message itself (shared/queue.ts): the text of any JSON value the
 * host can hand over, however deep. Pure, no emulator.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonTextOf, messageText } from "../../functions-src/shared/queue";

describe("the text of a message for the poison queue", () => {
  it("is exactly JSON.stringify's output for every JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonTextOf(value)).toBe(JSON.stringify(value));
      }),
      { numRuns: 500, seed: 13 },
    );
  });

  it("is produced for values nested far deeper than JSON.stringify can go", () => {
    let deep: unknown = { leaf: "é\n\"" };
    for (let i = 0; i < 50_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const text = messageText(deep);
    expect(text.startsWith('{"k":[{"k":[')).toBe(true);
    expect(text).toContain('{"leaf":"é\\n\\""}');
    expect(JSON.parse(text)).toBeDefined(); // V8's parser is not recursive: the text round-trips
  });

  it("keeps text and bytes as they came", () => {
    expect(messageText("not json at all")).toBe("not json at all");
    expect(messageText(Buffer.from("bytes"))).toBe("bytes");
  });
});
