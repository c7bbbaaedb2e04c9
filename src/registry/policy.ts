import { AwsError } from '../gateway/errors.js';

// Resource policies (repository and registry policies) are stored now and
// decide cross-principal access once berth has IAM. Until then they are
// checked for the structure IAM requires, so a policy that AWS would refuse
// is refused here too.

const EFFECTS = new Set(['Allow', 'Deny']);
const KNOWN = new Set(['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

export function checkPolicy(text: string, field: string): void {
  const fail = (why: string) => new AwsError('InvalidParameterException', `Invalid parameter at '${field}' failed to satisfy constraint: 'Invalid repository policy provided: ${why}'`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw fail('the policy is not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw fail('the policy must be a JSON object');
  const policy = doc as Record<string, unknown>;
  if (policy.Version !== undefined && policy.Version !== '2012-10-17' && policy.Version !== '2008-10-17') throw fail(`Version '${String(policy.Version)}' is not 2012-10-17 or 2008-10-17`);
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement === undefined ? undefined : [policy.Statement];
  if (!statements?.length) throw fail('the policy must have a Statement');
  statements.forEach((s: unknown, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw fail(`Statement[${i}] must be an object`);
    const st = s as Record<string, unknown>;
    for (const key of Object.keys(st)) if (!KNOWN.has(key)) throw fail(`Statement[${i}] has an unknown element '${key}'`);
    if (!EFFECTS.has(st.Effect as string)) throw fail(`Statement[${i}].Effect must be Allow or Deny`);
    if ((st.Principal === undefined) === (st.NotPrincipal === undefined)) throw fail(`Statement[${i}] must have exactly one of Principal and NotPrincipal`);
    if ((st.Action === undefined) === (st.NotAction === undefined)) throw fail(`Statement[${i}] must have exactly one of Action and NotAction`);
    const actions = [st.Action ?? st.NotAction].flat();
    for (const a of actions) {
      if (typeof a !== 'string' || !(a === '*' || /^[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+$/.test(a))) throw fail(`Statement[${i}] action '${String(a)}' is not a valid action`);
    }
  });
}
