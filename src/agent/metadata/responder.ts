import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ContainerSpec, ImageEntry } from '../runtime/runtime.js';
import { METADATA_MOUNT, RESPONDER_ADDRESS, RESPONDER_PORT, type MetadataVersion } from './layout.js';

// The responder: busybox httpd on 127.0.0.1:51679 inside a task's own network
// namespace, answering the metadata paths with a CGI script that reads the
// files the agent keeps (layout.ts). It runs from berth's helper image, built
// FROM scratch with the host's busybox: the same image is the namespace
// holder's, which runs the responder beside its sleep loop.

/** Labels a bridge-mode responder with the task it serves (not the ECS task label: it is no task container). */
export const RESPONDER_LABEL = 'berth.metadata-responder.task-arn';
const HELPER_REPOSITORY = 'berth/task-helper';
/** Docker refuses smaller limits; httpd and a CGI shell need far less. */
const RESPONDER_MEMORY_BYTES = 16 * 1024 * 1024;

const HTTPD = `/bin/httpd -f -p ${RESPONDER_ADDRESS}:${RESPONDER_PORT} -h /srv`;

/** A bridge-mode responder: only httpd, in the app container's namespaces. */
export const RESPONDER_COMMAND = HTTPD.split(' ');

/**
 * The namespace holder with a responder: the shell sleeps forever, reaps the
 * orphans of a shared pid namespace and exits at once on SIGTERM (taking
 * httpd with it: it is the namespace's init).
 */
export const HOLDER_RESPONDER_COMMAND = ['/bin/sh', '-c', `trap 'exit 0' TERM INT; ${HTTPD} & while :; do sleep 2147483647 & wait $!; done`];

/**
 * The CGI script for one metadata version: PATH_INFO `/<key>[/task][/stats]`
 * → the file of layout.ts, 404 for anything else or an unknown key. It
 * writes its own status line (busybox httpd passes it through).
 * BERTH_METADATA_DIR exists for the tests, which run it outside a container.
 */
export function cgiScript(v: MetadataVersion): string {
  return `#!/bin/sh
# berth task metadata ${v}: PATH_INFO /<key>[/task][/stats] -> a file the agent keeps.
d=\${BERTH_METADATA_DIR:-${METADATA_MOUNT}}/${v}
p=\${PATH_INFO#/}
k=\${p%%/*}
case "$p" in
  "$k") f=containers/$k.json ;;
  "$k/task") f=task.json ;;
  "$k/stats") f=containers/$k.stats.json ;;
  "$k/task/stats") f=task.stats.json ;;
  *) f= ;;
esac
case "$k" in ''|*[!A-Za-z0-9-]*) f= ;; esac
if [ -n "$f" ] && [ -f "$d/containers/$k.json" ] && [ -f "$d/$f" ]; then
  printf 'HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\n\\r\\n'
  exec /bin/cat "$d/$f"
fi
printf 'HTTP/1.1 404 Not Found\\r\\nContent-Type: application/json\\r\\n\\r\\n"No task metadata at this path"\\n'
`;
}

/** What the helper image adds to busybox: the CGI scripts under /srv and the mount point. */
export function helperImageEntries(): ImageEntry[] {
  return [
    { type: 'dir', path: 'srv' },
    { type: 'dir', path: 'srv/cgi-bin' },
    { type: 'file', path: 'srv/cgi-bin/v3', data: Buffer.from(cgiScript('v3')), mode: 0o755 },
    { type: 'file', path: 'srv/cgi-bin/v4', data: Buffer.from(cgiScript('v4')), mode: 0o755 },
    { type: 'dir', path: METADATA_MOUNT.slice(1) },
  ];
}

/** The helper image's reference: its tag names its content (the busybox binary and the entries), so a change builds a new one. */
export function helperImageRef(busyboxPath: string, entries: ImageEntry[] = helperImageEntries()): string {
  const h = createHash('sha256').update(readFileSync(busyboxPath));
  for (const e of entries) {
    h.update(`\0${e.type}\0${e.path}\0${e.type === 'symlink' ? e.target : String(e.mode ?? '')}\0`);
    if (e.type === 'file') h.update(e.data);
  }
  return `${HELPER_REPOSITORY}:${h.digest('hex').slice(0, 16)}`;
}

export interface ResponderOptions {
  /** Docker name of the responder. */
  name: string;
  /** Runtime id of the app container whose namespaces it joins. */
  target: string;
  image: string;
  /** The task's metadata directory on the host. */
  metadataDir: string;
  labels: Record<string, string>;
  /**
   * Join the app's pid namespace too, so that the kernel ends the responder
   * when the app's init exits (not when the app shares the host's).
   */
  sharePid: boolean;
}

/** A bridge-mode responder: joins the app container's network namespace; Docker removes it once it exits. */
export function responderSpec(o: ResponderOptions): ContainerSpec {
  return {
    name: o.name,
    Image: o.image,
    Cmd: RESPONDER_COMMAND,
    Labels: o.labels,
    StopTimeout: 2,
    HostConfig: {
      NetworkMode: `container:${o.target}`,
      ...(o.sharePid ? { PidMode: `container:${o.target}` } : {}),
      Binds: [`${o.metadataDir}:${METADATA_MOUNT}:ro`],
      ReadonlyRootfs: true,
      Memory: RESPONDER_MEMORY_BYTES,
      CpuShares: 2,
      AutoRemove: true,
    },
  };
}
