// Where a task's metadata lives and which request reads which file. The
// agent writes one directory per task; a responder (the CGI script in
// responder.ts, or the agent's own server for host-mode tasks) answers a
// request by reading the one file named here. Both sides follow this table:
//
//   <base>/v4/<key>              → v4/containers/<key>.json
//   <base>/v4/<key>/task         → v4/task.json
//   <base>/v4/<key>/stats        → v4/containers/<key>.stats.json
//   <base>/v4/<key>/task/stats   → v4/task.stats.json
//   (v3 alike, under v3/)
//
// A key is a container's Docker name, chosen before the container exists
// (so its environment can name it); a request whose key has no container
// file is unknown (404), like a path this table does not list.

export const METADATA_VERSIONS = ['v3', 'v4'] as const;
export type MetadataVersion = (typeof METADATA_VERSIONS)[number];

/** The responder's port inside a task's own network namespace (the ECS agent's metadata port). */
export const RESPONDER_PORT = 51679;
/** The responder listens on the task's own loopback only. */
export const RESPONDER_ADDRESS = '127.0.0.1';
/** Where a task's metadata directory is mounted (read-only) in its responder. */
export const METADATA_MOUNT = '/meta';
/** The base URI containers get when a responder shares their network namespace (busybox httpd runs /srv/cgi-bin/v3 and v4). */
export const RESPONDER_BASE_URI = `http://${RESPONDER_ADDRESS}:${RESPONDER_PORT}/cgi-bin`;

const KEY = /^[A-Za-z0-9-]+$/;

export function isMetadataKey(key: string): boolean {
  return KEY.test(key);
}

export const containerFile = (v: MetadataVersion, key: string) => `${v}/containers/${key}.json`;
export const containerStatsFile = (v: MetadataVersion, key: string) => `${v}/containers/${key}.stats.json`;
export const taskFile = (v: MetadataVersion) => `${v}/task.json`;
export const taskStatsFile = (v: MetadataVersion) => `${v}/task.stats.json`;

/** The request path after `/<version>` (e.g. `/<key>/task`) → the key it names and the file that answers it. */
export function requestFile(v: MetadataVersion, path: string): { key: string; file: string } | undefined {
  const p = path.replace(/^\//, '');
  const [key = '', ...rest] = p.split('/');
  if (!isMetadataKey(key)) return undefined;
  switch (rest.join('/')) {
    case '':
      return { key, file: containerFile(v, key) };
    case 'task':
      return { key, file: taskFile(v) };
    case 'stats':
      return { key, file: containerStatsFile(v, key) };
    case 'task/stats':
      return { key, file: taskStatsFile(v) };
    default:
      return undefined;
  }
}

/** ECS_CONTAINER_METADATA_URI_V4 and ECS_CONTAINER_METADATA_URI (v3) of the container with this key. */
export function metadataEnvironment(baseUri: string, key: string): Record<string, string> {
  return {
    ECS_CONTAINER_METADATA_URI_V4: `${baseUri}/v4/${key}`,
    ECS_CONTAINER_METADATA_URI: `${baseUri}/v3/${key}`,
  };
}
