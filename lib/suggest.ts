/**
 * "Did you mean …?" for names a user types: config keys, stack names, service names, manifest
 * fields. A typo is one or two edits away from what was meant; anything further is not suggested.
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): `platfrom` → `platform` is
 * one edit, as a reader would count it. Case differences count as edits.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `input`, if it is close enough to be a typo: a different case alone, or
 * at most 1 edit for short names, 2 from 6 characters, 3 from 12. Ties go to the first candidate.
 */
export function closestMatch(input: string, candidates: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    if (name === input) continue;
    const distance = name.toLowerCase() === input.toLowerCase() ? 0 : editDistance(input.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const length = Math.max(input.length, best.name.length);
  const allowed = length >= 12 ? 3 : length >= 6 ? 2 : 1;
  return best.distance <= allowed ? best.name : undefined;
}

/** `; did you mean <x>?` when a close candidate exists, else "" (ready to append to a message). */
export function didYouMean(input: string, candidates: Iterable<string>, format: (match: string) => string = (m) => m): string {
  const match = closestMatch(input, candidates);
  return match === undefined ? "" : `; did you mean ${format(match)}?`;
}
