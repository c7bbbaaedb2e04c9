import { invalidPolicy } from './invalid.js';
import type { LifecycleRule } from './policy.js';

// Constraints between the rules of one policy (ECR User Guide, "Lifecycle
// policy properties" and "Lifecycle policy evaluation rules"). Where ECR's own
// sentence is known it is used ("per storage class": berth has one, standard).

export function checkAcrossRules(rules: readonly LifecycleRule[]): void {
  const byPriority = new Map<number, number>();
  rules.forEach((r, i) => {
    const first = byPriority.get(r.rulePriority);
    if (first !== undefined) {
      throw invalidPolicy(`rules[${i}].rulePriority: ${r.rulePriority} is also the rulePriority of rules[${first}]; every rule needs a unique rulePriority`);
    }
    byPriority.set(r.rulePriority, i);
  });

  // `any` sees every image, so it must run last: the highest rulePriority number.
  const highest = Math.max(...rules.map((r) => r.rulePriority));
  rules.forEach((r, i) => {
    if (r.selection.tagStatus === 'any' && r.rulePriority !== highest) {
      throw invalidPolicy(
        `Rule for tagStatus=ANY must have the lowest priority per storage class (rules[${i}].selection.tagStatus is "any" with rulePriority ${r.rulePriority}, but rules[${byPriority.get(highest)}] has rulePriority ${highest})`,
      );
    }
  });

  const untagged = rules.flatMap((r, i) => (r.selection.tagStatus === 'untagged' ? [i] : []));
  if (untagged.length > 1) {
    throw invalidPolicy(`Only one rule can select Untagged images per storage class (rules[${untagged[0]}] and rules[${untagged[1]}] both have selection.tagStatus "untagged")`);
  }

  // "The set of rules must contain a unique set of tag prefixes": read as no two
  // rules with the same list (order ignored). A second such rule could never
  // act: every image it selects matches the first rule's tagging requirements.
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const s = r.selection;
    const [field, list] = 'tagPrefixList' in s ? ['tagPrefixList', s.tagPrefixList] : 'tagPatternList' in s ? ['tagPatternList', s.tagPatternList] : [];
    if (!field || !list) return;
    const key = `${field}\0${[...new Set(list)].sort().join('\0')}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw invalidPolicy(`rules[${i}].selection.${field}: rules[${first}] already selects the same set of tags; the set of rules must contain a unique set of tag prefixes`);
    }
    seen.set(key, i);
  });
}
