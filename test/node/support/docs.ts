import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./processes";

/**
 * The project's prose as a newcomer reads it: README.md, CONTRIBUTING.md, CHANGELOG.md and every guide in docs/,
 * as paths relative to the repository root.
 */
export function docFiles(): string[] {
  const guides = readdirSync(path.join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", ...guides].filter((file) => existsSync(path.join(ROOT, file)));
}

/** A doc's text, by its path relative to the repository root. */
export function readDoc(file: string): string {
  return readFileSync(path.join(ROOT, file), "utf8");
}

/** The fenced code blocks of a Markdown text, with their language, in order. */
export function codeBlocks(text: string): Array<{ lang: string; body: string; offset: number }> {
  return [...text.matchAll(/^ *```(\S*)\n([\s\S]*?)^ *```/gm)].map((m) => ({ lang: m[1]!, body: m[2]!, offset: m.index! }));
}

/** The text with its fenced code blocks and inline code spans blanked, so links inside code are not links. */
export function prose(text: string): string {
  return text.replace(/^ *```[\s\S]*?^ *```/gm, "").replace(/`[^`\n]*`/g, "");
}

/**
 * The anchors GitHub gives a Markdown text's headings: lowercased, punctuation other than `-` and `_`
 * dropped, spaces as `-`; a repeated heading gets `-1`, `-2`….
 */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const slug = heading!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** The relative links of a Markdown text: `[text](target)` and HTML `src`/`href`, outside code. */
export function relativeLinks(text: string): string[] {
  const text_ = prose(text);
  const targets = [
    ...[...text_.matchAll(/\]\(([^)\s]+)(?: "[^"]*")?\)/g)].map((m) => m[1]!),
    ...[...text_.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!),
  ];
  return targets.filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}
