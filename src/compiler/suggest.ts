/**
 * "Did you mean …": the closest known name to a misspelt one, in time linear in the names'
 * lengths. A suggestion must be within `max(1, ⌊length / 3⌋)` edits, so candidates whose length
 * differs by more than that are skipped unseen, and the distance is computed only inside a band
 * of that width around the diagonal (Ukkonen's cut-off), stopping as soon as it is exceeded.
 * Names longer than `MAX_SUGGEST_LENGTH` get no suggestion (nobody mistypes a 1000-letter name).
 */

export const MAX_SUGGEST_LENGTH = 128;

/** The candidate closest to `name` by edit distance, if close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  if (name.length > MAX_SUGGEST_LENGTH) return undefined;
  const a = name.toLowerCase();
  let limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - a.length) > limit) continue;
    const distance = editDistanceWithin(a, candidate.toLowerCase(), limit);
    if (distance <= limit) {
      best = candidate;
      // Only a strictly closer candidate may replace this one.
      if (distance === 0) return best;
      limit = distance - 1;
      if (limit < 0) break;
    }
  }
  return best;
}

/**
 * Edits (insert, delete, substitute, swap two neighbours) turning `a` into `b`, when at most
 * `k`; otherwise some number above `k`. O((|a| + |b|) · k) time, O(|b|) memory.
 */
export function editDistanceWithin(a: string, b: string, k: number): number {
  const over = k + 1;
  if (Math.abs(a.length - b.length) > k) return over;
  const width = b.length + 1;
  let before = new Array<number>(width).fill(over); // row i - 2
  let previous = new Array<number>(width).fill(over); // row i - 1
  let current = new Array<number>(width).fill(over);
  for (let j = 0; j <= Math.min(b.length, k); j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - k);
    const to = Math.min(b.length, i + k);
    current.fill(over, Math.max(0, from - 1), Math.min(width, to + 2));
    current[0] = i <= k ? i : over;
    let rowMin = current[0]!;
    for (let j = from; j <= to; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        d = Math.min(d, before[j - 2]! + 1);
      }
      current[j] = Math.min(d, over);
      if (current[j]! < rowMin) rowMin = current[j]!;
    }
    if (rowMin > k) return over;
    [before, previous, current] = [previous, current, before];
  }
  return Math.min(previous[b.length]!, over);
}
