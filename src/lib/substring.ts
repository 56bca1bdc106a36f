/**
 * Patterns up to this many UTF-16 code units keep the native search, whose worst case is then at
 * most this many comparisons per character of the text.
 */
const NATIVE_PATTERN_LENGTH = 16;

/**
 * A test of whether texts contain `pattern`, in time linear in each text whatever the pattern
 * (Knuth–Morris–Pratt; the pattern's table is built once, in time linear in the pattern).
 * String.prototype.includes is not linear: V8's Boyer–Moore compares near every offset when a long
 * pattern almost matches everywhere ("ab" followed by 1,000 "a" in a megabyte of "a" took 1.4 s,
 * with 3,000 "a" 4.4 s), and payload filter operands reach 4 KiB (MAX_FILTER_BYTES).
 */
export function substringTest(pattern: string): (text: string) => boolean {
  if (pattern.length <= NATIVE_PATTERN_LENGTH) return (text) => text.includes(pattern);
  // fallback[i]: the length of the longest proper prefix of pattern[0..i] that is also its suffix.
  const fallback = new Uint32Array(pattern.length);
  for (let i = 1, k = 0; i < pattern.length; i++) {
    while (k > 0 && pattern.charCodeAt(i) !== pattern.charCodeAt(k)) k = fallback[k - 1]!;
    if (pattern.charCodeAt(i) === pattern.charCodeAt(k)) k++;
    fallback[i] = k;
  }
  return (text) => {
    for (let i = 0, k = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      while (k > 0 && unit !== pattern.charCodeAt(k)) k = fallback[k - 1]!;
      if (unit === pattern.charCodeAt(k)) k++;
      if (k === pattern.length) return true;
    }
    return false;
  };
}
