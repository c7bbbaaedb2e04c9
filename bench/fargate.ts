// bench/fargate: RunTask → RUNNING for 20 FARGATE tasks beside the same containers started through the Docker Engine API (bench/fargate/).
export { description, run } from './fargate/index.js';
