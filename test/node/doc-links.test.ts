import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { anchors, docFiles, readDoc, relativeLinks } from "./support/docs";
import { ROOT } from "./support/processes";

/** Where a relative link of `file` points: a path from the repository root and an anchor, if any. */
function resolve(file: string, link: string): { target: string; anchor?: string } {
  const [pathPart, anchor] = link.split("#", 2) as [string, string | undefined];
  const target = pathPart === "" ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURI(pathPart)));
  return { target, anchor };
}

describe("relative links in README.md, CONTRIBUTING.md and docs/", () => {
  it("the README is at most 200 lines: the rest lives in the guides", () => {
    expect(readDoc("README.md").split("\n").length).toBeLessThanOrEqual(200);
  });

  it("the README links to a guide for each topic it left out", () => {
    const links = relativeLinks(readDoc("README.md")).map((link) => resolve("README.md", link).target);
    for (const guide of ["docs/sending.md", "docs/receiving.md", "docs/delivery-control.md", "docs/deploying.md", "CONTRIBUTING.md"]) {
      expect(links, guide).toContain(guide);
    }
  });

  for (const file of docFiles()) {
    it(`every relative link in ${file} reaches a file, and its #anchor a heading there`, () => {
      const broken: string[] = [];
      for (const link of relativeLinks(readDoc(file))) {
        const { target, anchor } = resolve(file, link);
        if (target.startsWith("..") || !existsSync(path.join(ROOT, target))) {
          broken.push(`${link}: no file ${target}`);
        } else if (anchor !== undefined && target.endsWith(".md") && !anchors(readDoc(target)).has(anchor)) {
          broken.push(`${link}: ${target} has no heading #${anchor}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});

describe("the project's license and history", () => {
  const pkg = JSON.parse(readDoc("package.json")) as { license: string; version: string };

  it("LICENSE is the MIT license package.json names, held by Edgehook contributors", () => {
    expect(pkg.license).toBe("MIT");
    const license = readDoc("LICENSE");
    expect(license).toMatch(/^MIT License\n/);
    expect(license).toMatch(/^Copyright \(c\) \d{4} Edgehook contributors$/m);
  });

  it("CHANGELOG.md has a section for the package's version", () => {
    expect(readDoc("CHANGELOG.md")).toMatch(new RegExp(`^## ${pkg.version.replace(/\./g, "\\.")}\\b`, "m"));
  });
});

describe("the link checker itself", () => {
  it("gives headings GitHub's anchors", () => {
    const slugs = anchors("# Edgehook\n## Ed25519 signatures: receivers that must not be able to forge\n## Two commands\n## Two commands\n");
    expect([...slugs]).toEqual(["edgehook", "ed25519-signatures-receivers-that-must-not-be-able-to-forge", "two-commands", "two-commands-1"]);
  });

  it("ignores links inside code and absolute URLs", () => {
    expect(relativeLinks("[a](docs/a.md) `[b](b.md)` [c](https://example.com)\n```\n[d](d.md)\n```\n<img src=\"x.png\">")).toEqual(["docs/a.md", "x.png"]);
  });
});
