import { describe, expect, it } from "vitest";
import { indentJson, memberText, memberTextOfEach, objectText } from "../src/lib/json-text";

describe("the exact text of a member", () => {
  it.each([
    ["numbers beyond a double", '{"payload":{"order_id":9123456789654321123,"huge":1e400,"neg":-0,"ratio":1.0}}', '{"order_id":9123456789654321123,"huge":1e400,"neg":-0,"ratio":1.0}'],
    ["integer-like keys in their sent order", '{"payload":{"b":1,"2":2,"1":3}}', '{"b":1,"2":2,"1":3}'],
    ["duplicate keys inside the value", '{"payload":{"a":1,"a":2}}', '{"a":1,"a":2}'],
    ["string escapes, lone surrogates included", '{"payload":"\\u00e9\\n\\"\\ud800\\/"}', '"\\u00e9\\n\\"\\ud800\\/"'],
    ["brackets and quotes inside strings", '{"payload":["]}\\"{[",{"k":"}"}]}', '["]}\\"{[",{"k":"}"}]'],
    ["whitespace inside the value, not around it", '{ "payload" :\n  [ 1 ,\t2 ]  \n}', "[ 1 ,\t2 ]"],
    ["a scalar at the end of the object", '{"event":"x","payload":-1.5E+3}', "-1.5E+3"],
    ["literals", '{"payload":null,"x":true}', "null"],
  ])("keeps %s", (_name, json, expected) => {
    expect(memberText(json, "payload")).toBe(expected);
  });

  it("finds the member after others whose values nest deeply", () => {
    const json = `{"a":${"[".repeat(50)}"x"${"]".repeat(50)},"payload":{"z":[{}]}}`;
    expect(memberText(json, "payload")).toBe('{"z":[{}]}');
  });

  it("takes the last of a repeated member, as JSON.parse does", () => {
    expect(memberText('{"payload":1,"payload":{"second":true}}', "payload")).toBe('{"second":true}');
  });

  it("matches a key written with escapes by its meaning", () => {
    expect(memberText('{"pay\\u006coad":7}', "payload")).toBe("7");
  });

  it("is undefined when there is no such member", () => {
    expect(memberText('{"event":"x","nested":{"payload":1}}', "payload")).toBeUndefined();
  });

  it("handles a string of a megabyte without running out of stack", () => {
    const long = "a\\\"".repeat(350_000);
    expect(memberText(`{"payload":"${long}"}`, "payload")).toHaveLength(long.length + 2);
  });

  it("refuses text that is not an object", () => {
    expect(() => memberText("[1]", "payload")).toThrow(SyntaxError);
  });
});

describe("the exact text of a member in each item of an array", () => {
  it("returns each item's member in order, undefined where an item has none", () => {
    const json = '{"messages":[{"payload":1e400,"event":"a"},{"event":"b"},{"payload":{"n":9123456789654321123}},7],"x":[]}';
    expect(memberTextOfEach(json, "messages", "payload")).toEqual(["1e400", undefined, '{"n":9123456789654321123}', undefined]);
  });

  it("is empty when the array is missing or not an array", () => {
    expect(memberTextOfEach('{"other":[{"payload":1}]}', "messages", "payload")).toEqual([]);
    expect(memberTextOfEach('{"messages":{"payload":1}}', "messages", "payload")).toEqual([]);
  });
});

describe("splicing JSON text into an object", () => {
  it("puts raw members verbatim in the fields' order and leaves undefined ones out", () => {
    const text = objectText({ id: "m1", payload: null, skipped: undefined, n: 2 }, { payload: '{"big":1e400}' });
    expect(text).toBe('{"id":"m1","payload":{"big":1e400},"n":2}');
  });
});

describe("indenting JSON text", () => {
  it.each([
    ['{"a":[1,{"b":null}],"c":{},"d":[],"e":"x,{}:[]"}'],
    ["[]"],
    ['"just a string"'],
    ['{"nested":[[[]],[{}]]}'],
  ])("lays %s out as JSON.stringify(value, null, 2) does", (json) => {
    expect(indentJson(json)).toBe(JSON.stringify(JSON.parse(json), null, 2));
  });

  it("keeps numbers, escapes and key order as written", () => {
    expect(indentJson('{ "2":9123456789654321123,"1" : "\\u00e9" }')).toBe('{\n  "2": 9123456789654321123,\n  "1": "\\u00e9"\n}');
  });
});
