import { describe, expect, it } from "vitest";
import { QueryBudget, unlimitedQueries } from "../../src/db/query-budget";

describe("QueryBudget", () => {
  it("allows queries up to its size and counts each one charged", () => {
    const budget = new QueryBudget(3);
    budget.charge();
    budget.charge(2);
    expect(budget.left).toBe(0);
    expect(budget.allows()).toBe(false);
  });

  it("allows a step of several queries only when all of them fit", () => {
    const budget = new QueryBudget(2);
    expect(budget.allows(2)).toBe(true);
    expect(budget.allows(3)).toBe(false);
  });

  it("refuses a charge past what is left without counting any of it", () => {
    const budget = new QueryBudget(2);
    expect(() => budget.charge(3)).toThrow(RangeError);
    expect(budget.left).toBe(2);
  });

  it("spends a portion's queries from the budget it was taken from", () => {
    const budget = new QueryBudget(10);
    const portion = budget.portion(4);
    portion.charge(3);
    expect({ portion: portion.left, budget: budget.left }).toEqual({ portion: 1, budget: 7 });
  });

  it("gives a portion no more than is left", () => {
    const budget = new QueryBudget(5);
    budget.charge(4);
    expect(budget.portion(10).left).toBe(1);
  });

  it("leaves a portion fewer queries when the budget it came from is spent meanwhile", () => {
    const budget = new QueryBudget(10);
    const first = budget.portion(8);
    const second = budget.portion(8);
    second.charge(7);
    expect(first.left).toBe(3);
    expect(first.allows(4)).toBe(false);
  });

  it("refuses a portion's charge that its own budget allows but the one it came from does not", () => {
    const budget = new QueryBudget(4);
    const portion = budget.portion(4);
    budget.charge(3);
    expect(() => portion.charge(2)).toThrow(RangeError);
  });

  it("an unlimited budget never runs out", () => {
    const budget = unlimitedQueries();
    budget.charge(1_000_000);
    expect(budget.allows(1_000_000)).toBe(true);
  });

  it("a budget of a negative size allows nothing", () => {
    expect(new QueryBudget(-3).left).toBe(0);
  });
});
