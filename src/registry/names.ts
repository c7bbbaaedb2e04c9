// The grammars of repository names and tags. ECR's model pattern is the OCI
// distribution name grammar with ECR's length bounds (2–256).

const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && REPOSITORY_NAME.test(name);
}

export function isTag(tag: string): boolean {
  return TAG.test(tag);
}

/** ECR's tag-mutability exclusion filters: `*` matches any run of characters. */
export function wildcardMatches(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}
