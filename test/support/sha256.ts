export { NodeSha256 } from '../../src/agent/sha256.js';
