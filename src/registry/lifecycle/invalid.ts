import { AwsError } from '../../gateway/errors.js';

// ECR refuses every lifecycle policy it cannot accept with one frame around a
// detail; clients (and people reading CLI output) recognise the frame, and the
// detail names the field that failed.
export function invalidPolicy(detail: string): AwsError {
  return new AwsError(
    'InvalidParameterException',
    `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${detail}'`,
  );
}
