import { checkAcrossRules } from './across-rules.js';
import { invalidPolicy } from './invalid.js';
import { readArray, readEnum, readInteger, readObject, readString, readStringList } from './shape.js';

// The lifecycle policy document (ECR User Guide, "Lifecycle policy
// properties"), read and checked the way ECR checks PutLifecyclePolicy and
// StartLifecyclePolicyPreview. berth keeps images in one storage class and
// only deletes them, so the parts of the document that exist for the archive
// storage class (action `transition`, `storageClass: archive`, the count
// types `sinceImagePulled` and `sinceImageTransitioned`) are refused with a
// message that says so, rather than accepted and silently never applied.

/** Which images a rule looks at: its "tagging requirements". */
export type LifecycleTagSelection =
  | { readonly tagStatus: 'any' | 'untagged' }
  | { readonly tagStatus: 'tagged'; readonly tagPrefixList: readonly string[] }
  | { readonly tagStatus: 'tagged'; readonly tagPatternList: readonly string[] };

/** Which of the selected images the rule marks. */
export type LifecycleCount =
  | { readonly countType: 'imageCountMoreThan'; readonly countNumber: number }
  | { readonly countType: 'sinceImagePushed'; readonly countUnit: 'days'; readonly countNumber: number };

export type LifecycleSelection = LifecycleTagSelection & LifecycleCount;

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description?: string;
  readonly selection: LifecycleSelection;
  readonly action: { readonly type: 'expire' };
}

/** Rules in document order; evaluation orders them by `rulePriority`. */
export interface LifecyclePolicy {
  readonly rules: readonly LifecycleRule[];
}

const TAG_STATUS = ['tagged', 'untagged', 'any'] as const;
const COUNT_TYPES = ['imageCountMoreThan', 'sinceImagePushed', 'sinceImagePulled', 'sinceImageTransitioned'] as const;
const STORAGE_CLASSES = ['standard', 'archive'] as const;
const ACTION_TYPES = ['expire', 'transition'] as const;
const MAX_WILDCARDS = 4;

/** Parses and validates `lifecyclePolicyText`; throws ECR's InvalidParameterException naming the field at fault. */
export function parseLifecyclePolicy(text: string): LifecyclePolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalidPolicy('Could not map policyString into LifecyclePolicy. The text is not valid JSON.');
  }
  const root = readObject(doc, '', ['rules'], []);
  const rules = readArray(root['rules'], 'rules', 1).map((r, i) => readRule(r, `rules[${i}]`));
  checkAcrossRules(rules);
  return { rules };
}

function readRule(v: unknown, at: string): LifecycleRule {
  const o = readObject(v, at, ['rulePriority', 'selection', 'action'], ['description']);
  const rulePriority = readInteger(o['rulePriority'], `${at}.rulePriority`, 1);
  const description = o['description'] === undefined ? undefined : readString(o['description'], `${at}.description`);
  const selection = readSelection(o['selection'], `${at}.selection`);
  readAction(o['action'], `${at}.action`);
  return { rulePriority, ...(description === undefined ? {} : { description }), selection, action: { type: 'expire' } };
}

/** Only `expire` gets past this; see the file comment for why `transition` is refused. */
function readAction(v: unknown, at: string): void {
  const o = readObject(v, at, ['type'], ['targetStorageClass']);
  const type = readEnum(o['type'], `${at}.type`, ACTION_TYPES);
  if (type === 'transition') {
    throw invalidPolicy(`${at}.type: berth supports only action type "expire"; "transition" (moving images to the archive storage class) is not supported`);
  }
  if (Object.hasOwn(o, 'targetStorageClass')) throw invalidPolicy(`${at}.targetStorageClass: only allowed when action type is "transition"`);
}

function readSelection(v: unknown, at: string): LifecycleSelection {
  const o = readObject(v, at, ['tagStatus', 'countType', 'countNumber'], ['tagPrefixList', 'tagPatternList', 'storageClass', 'countUnit']);
  const tagStatus = readEnum(o['tagStatus'], `${at}.tagStatus`, TAG_STATUS);
  const countType = readEnum(o['countType'], `${at}.countType`, COUNT_TYPES);
  const countNumber = readInteger(o['countNumber'], `${at}.countNumber`, 1);
  const storageClass = o['storageClass'] === undefined ? 'standard' : readEnum(o['storageClass'], `${at}.storageClass`, STORAGE_CLASSES);
  const tags = readTagSelection(o, at, tagStatus);

  // The docs pair each archive-only count type with what it needs; say that
  // first (ECR would too), then that berth has no archive storage class.
  if (countType === 'sinceImagePulled') {
    throw invalidPolicy(`${at}.countType: sinceImagePulled can be used only with action type "transition", which berth does not support`);
  }
  if (countType === 'sinceImageTransitioned') {
    if (storageClass !== 'archive') throw invalidPolicy(`${at}.storageClass: countType sinceImageTransitioned requires storageClass "archive"`);
    throw invalidPolicy(`${at}.countType: sinceImageTransitioned selects archived images, and berth has no archive storage class`);
  }
  if (storageClass === 'archive') {
    throw invalidPolicy(`${at}.storageClass: "archive" is only valid with countType sinceImageTransitioned; with ${countType} the only supported value is "standard"`);
  }

  if (countType === 'imageCountMoreThan') {
    if (Object.hasOwn(o, 'countUnit')) throw invalidPolicy(`${at}.countUnit: only allowed when countType is sinceImagePushed, not imageCountMoreThan`);
    return { ...tags, countType, countNumber };
  }
  if (!Object.hasOwn(o, 'countUnit')) throw invalidPolicy(`${at}: object has missing required properties (["countUnit"]); countType ${countType} needs countUnit "days"`);
  const countUnit = readEnum(o['countUnit'], `${at}.countUnit`, ['days'] as const);
  return { ...tags, countType, countUnit, countNumber };
}

function readTagSelection(o: Record<string, unknown>, at: string, tagStatus: (typeof TAG_STATUS)[number]): LifecycleTagSelection {
  const hasPrefixes = Object.hasOwn(o, 'tagPrefixList');
  const hasPatterns = Object.hasOwn(o, 'tagPatternList');
  if (tagStatus !== 'tagged') {
    const list = hasPrefixes ? 'tagPrefixList' : hasPatterns ? 'tagPatternList' : undefined;
    if (list) throw invalidPolicy(`${at}.${list}: only allowed when tagStatus is "tagged", not "${tagStatus}"`);
    return { tagStatus };
  }
  if (hasPrefixes && hasPatterns) throw invalidPolicy(`${at}: a rule may specify either tagPrefixList or tagPatternList, but not both`);
  if (hasPrefixes) return { tagStatus, tagPrefixList: readStringList(o['tagPrefixList'], `${at}.tagPrefixList`) };
  if (!hasPatterns) throw invalidPolicy(`${at}: Must specify tagPrefixList or tagPatternList when tagStatus=TAGGED`);
  const tagPatternList = readStringList(o['tagPatternList'], `${at}.tagPatternList`);
  tagPatternList.forEach((p, i) => {
    const wildcards = p.split('*').length - 1;
    if (wildcards > MAX_WILDCARDS) {
      throw invalidPolicy(`${at}.tagPatternList[${i}]: ${JSON.stringify(p)} has ${wildcards} wildcards (*); at most ${MAX_WILDCARDS} are allowed per pattern`);
    }
  });
  return { tagStatus, tagPatternList };
}
