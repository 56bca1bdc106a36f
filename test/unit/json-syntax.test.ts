import { describe, expect, it } from "vitest";
import { describeJsonSyntaxError, jsonSyntaxError } from "../../src/lib/json-syntax";

describe("where a text stops being JSON", () => {
  it("is nothing for text JSON.parse accepts", () => {
    expect(jsonSyntaxError('{"a": [1, 2.5e3, "x\\n"]}')).toBeNull();
  });

  it("names the line, column and position of a missing comma", () => {
    expect(jsonSyntaxError('{\n  "a": 1\n  "b": 2\n}')).toEqual({ reason: "expected ','", position: 13, line: 3, column: 3 });
  });

  it("names the position of a mistake V8 reports without one", () => {
    expect(jsonSyntaxError('{"a": tru}')).toMatchObject({ reason: "unexpected character", position: 6, line: 1, column: 7 });
  });

  it("points at the end of a text that stops too early", () => {
    expect(jsonSyntaxError('{"a": 1')).toMatchObject({ reason: "expected '}'", position: 7 });
  });

  it("refuses what JSON does not allow though JavaScript might: trailing commas, comments, single quotes", () => {
    expect(jsonSyntaxError("[1,]")?.reason).toBe("expected a value");
    expect(jsonSyntaxError("{/* note */}")?.reason).toBe("comments are not JSON");
    expect(jsonSyntaxError("{'a': 1}")?.position).toBe(1);
  });

  it("reads as a clause of an error message", () => {
    expect(describeJsonSyntaxError({ reason: "expected ','", position: 13, line: 3, column: 3 })).toBe("expected ',' at line 3, column 3 (position 13)");
  });
});
