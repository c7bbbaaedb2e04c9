// A target group's Matcher.HttpCode ("200", "200,202", "200-299", or a mix
// such as "200,300-399") as a predicate on a status code. The control plane
// has validated it; anything unreadable here matches nothing, so a bad
// matcher shows up as failing health checks rather than as a crash.

export type StatusMatcher = (status: number) => boolean;

export function compileMatcher(spec: string): StatusMatcher {
  const ranges: Array<[number, number]> = [];
  for (const part of spec.split(',')) {
    const p = part.trim();
    if (!p) continue;
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(p);
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo <= hi) ranges.push([lo, hi]);
  }
  if (ranges.length === 1) {
    const [lo, hi] = ranges[0]!;
    return (s) => s >= lo && s <= hi;
  }
  return (s) => ranges.some(([lo, hi]) => s >= lo && s <= hi);
}
