import { describe, expect, it } from "vitest";
import { parseDelay } from "../../tools/lib/parse";

describe("the CLI's --delay (parseDelay)", () => {
  it("reads a bare number as seconds", () => {
    expect(parseDelay("90")).toBe(90);
  });

  it("reads a number with a unit s, m, h or d", () => {
    expect([parseDelay("60s"), parseDelay("5m"), parseDelay("2h"), parseDelay("7d")]).toEqual([60, 300, 7_200, 604_800]);
  });

  it("refuses anything else, naming the forms it takes", () => {
    expect(() => parseDelay("1.5h")).toThrow(/60s, 5m, 2h, 7d/);
    expect(() => parseDelay("-5")).toThrow(/60s, 5m, 2h, 7d/);
  });
});
