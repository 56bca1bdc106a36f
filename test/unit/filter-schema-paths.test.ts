import { describe, expect, it } from "vitest";
import { pathsNotInSchema } from "../../src/filters/schema-paths";

const invoice = {
  type: "object",
  properties: {
    amount: { type: "number" },
    customer: { type: "object", properties: { email: { type: "string" } } },
    lines: { type: "array", items: { type: "object", properties: { sku: { type: "string" } } } },
    metadata: {},
  },
};

describe("filter paths against an event type's schema", () => {
  it("paths the schema declares are not reported", () => {
    expect(pathsNotInSchema({ amount: { $gt: 1 }, "customer.email": { $endsWith: "@x.com" } }, invoice)).toEqual([]);
  });

  it("a property the schema does not declare is reported", () => {
    expect(pathsNotInSchema({ "customer.plan": "pro", amount: 1 }, invoice)).toEqual(["customer.plan"]);
  });

  it("paths under $and, $or and $not are checked too", () => {
    expect(pathsNotInSchema({ $or: [{ total: 1 }, { $not: { "customer.name": "x" } }] }, invoice)).toEqual(["total", "customer.name"]);
  });

  it("a path through an array looks into its items, with or without an index", () => {
    expect(pathsNotInSchema({ "lines.sku": "a", "lines.0.sku": "b", "lines.price": 1 }, invoice)).toEqual(["lines.price"]);
  });

  it("a path below a scalar is reported", () => {
    expect(pathsNotInSchema({ "amount.currency": "EUR" }, invoice)).toEqual(["amount.currency"]);
  });

  it("a part of the schema that does not say what it holds accepts any path below it", () => {
    expect(pathsNotInSchema({ "metadata.order.id": 7 }, invoice)).toEqual([]);
  });

  it("a null filter has no paths to report", () => {
    expect(pathsNotInSchema(null, invoice)).toEqual([]);
  });
});
