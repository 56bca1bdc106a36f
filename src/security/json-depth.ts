/**
 * Whether a parsed JSON value nests arrays and objects more than `limit` levels deep (`[]` and
 * `{}` are one level, a scalar none). Walks with an explicit stack and stops at the first level
 * past the limit, so a hostile document can neither overflow the call stack here nor keep it busy.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (current === null || typeof current !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
