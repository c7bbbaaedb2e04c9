import type { LifecycleTagSelection } from './policy.js';

// A rule's tagging requirements against an image's tags (ECR User Guide,
// "Lifecycle policy evaluation rules"): an image matches a list when *every*
// entry of the list matches at least one of its tags — so ["alpha*", "beta*"]
// needs an alpha tag and a beta tag, possibly on top of others.

/** `*` stands for any run of characters, the empty one too; everything else is literal and case-sensitive. */
export function matchesTagPattern(tag: string, pattern: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return tag === pattern;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!tag.startsWith(first)) return false;
  let at = first.length;
  // Taking each middle part at its leftmost place leaves the most room for
  // the rest, so greedy search is exact for `*`-only patterns.
  for (const part of parts.slice(1, -1)) {
    const found = tag.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return tag.length - last.length >= at && tag.endsWith(last);
}

export function selectsImage(selection: LifecycleTagSelection, tags: readonly string[]): boolean {
  if (selection.tagStatus !== 'tagged') return selection.tagStatus === 'any' || tags.length === 0;
  if ('tagPrefixList' in selection) return selection.tagPrefixList.every((p) => tags.some((t) => t.startsWith(p)));
  return selection.tagPatternList.every((p) => tags.some((t) => matchesTagPattern(t, p)));
}
