import { describe, expect, it } from "vitest";
import { flagValue } from "../../scripts/flags";

describe("a command-line flag's value, in the forms wrangler takes", () => {
  it("follows the flag as the next argument", () => {
    expect(flagValue(["dev", "--port", "8788"], ["--port"])).toBe("8788");
  });

  it("follows the flag after an =, which may itself hold an =", () => {
    expect(flagValue(["--var=ADMIN_TOKEN:a=b"], ["--var"])).toBe("ADMIN_TOKEN:a=b");
  });

  it("is the last one given when there are several, under any of the flag's names", () => {
    expect(flagValue(["--env", "staging", "-e=production"], ["--env", "-e"])).toBe("production");
  });

  it("is absent when the flag is not given, nor one whose name only begins like it", () => {
    expect(flagValue(["--environment", "staging", "--env-file=x"], ["--env"])).toBeUndefined();
  });

  it("is absent when the flag comes last, with nothing after it", () => {
    expect(flagValue(["--persist-to", "state", "--config"], ["--config"])).toBeUndefined();
  });
});
