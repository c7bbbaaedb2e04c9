import type { Resource } from '@aws-sdk/client-ecs';
import { AwsError } from '../gateway/errors.js';

// A container instance's resources: what its agent registered and what is
// left once the tasks placed on it have reserved theirs. On the wire both are
// ECS `Resource` lists; inside berth they are plain numbers and port sets.
//
// ECS's PORTS / PORTS_UDP are sets of ports *taken*: in registeredResources
// the ports the host reserves for itself, in remainingResources those plus
// the host ports of the tasks placed there. A port is free when it is not in
// the remaining set.

export interface InstanceResources {
  /** CPU units (1024 per core). */
  cpu: number;
  /** MiB. */
  memory: number;
  /** Taken TCP host ports, as ECS lists them (strings). */
  ports: string[];
  /** Taken UDP host ports. */
  portsUdp: string[];
  /** Resources berth does not account for (GPU, …), kept as registered. */
  other: Resource[];
}

/** What the ECS agent reserves on every host unless told otherwise. */
export const DEFAULT_RESERVED_PORTS = ['22', '2375', '2376', '51678', '51679'];

const invalid = (message: string) => new AwsError('InvalidParameterException', message);

function numeric(r: Resource): number {
  const v = r.integerValue ?? r.longValue ?? r.doubleValue;
  if (v === undefined || !Number.isFinite(v) || v < 0) throw invalid(`Resource ${r.name} must have a non-negative integerValue.`);
  return Math.floor(v);
}

function portSet(r: Resource): string[] {
  const out: string[] = [];
  for (const p of r.stringSetValue ?? []) {
    const n = Number(p);
    if (!/^\d{1,5}$/.test(p) || n < 1 || n > 65535) throw invalid(`Resource ${r.name} has '${p}', which is not a port number.`);
    if (!out.includes(String(n))) out.push(String(n));
  }
  return out;
}

/** RegisterContainerInstance's `totalResources` → the registered resources. */
export function registeredResources(total: Resource[] | undefined): InstanceResources {
  const byName = new Map<string, Resource>();
  for (const r of total ?? []) {
    if (!r.name) throw invalid('Every resource in totalResources needs a name.');
    if (byName.has(r.name)) throw invalid(`Resource ${r.name} appears more than once in totalResources.`);
    byName.set(r.name, r);
  }
  const cpu = byName.get('CPU');
  const memory = byName.get('MEMORY');
  if (!cpu || !memory) throw invalid('totalResources must include CPU and MEMORY.');
  const ports = byName.get('PORTS');
  const portsUdp = byName.get('PORTS_UDP');
  return {
    cpu: numeric(cpu),
    memory: numeric(memory),
    ports: ports ? portSet(ports) : [...DEFAULT_RESERVED_PORTS],
    portsUdp: portsUdp ? portSet(portsUdp) : [],
    other: [...byName.values()].filter((r) => !['CPU', 'MEMORY', 'PORTS', 'PORTS_UDP'].includes(r.name!)),
  };
}

const integer = (name: string, value: number): Resource => ({ name, type: 'INTEGER', doubleValue: 0, longValue: 0, integerValue: value });
const stringSet = (name: string, values: string[]): Resource => ({ name, type: 'STRINGSET', doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: values });

/** The ECS wire form, as DescribeContainerInstances shows it. */
export function toResourceList(r: InstanceResources): Resource[] {
  return [integer('CPU', r.cpu), integer('MEMORY', r.memory), stringSet('PORTS', r.ports), stringSet('PORTS_UDP', r.portsUdp), ...r.other];
}

/** What one task holds on its instance, returned when it stops. */
export interface Reservation {
  cpu: number;
  memory: number;
  ports: number[];
  portsUdp: number[];
}

export function reserve(r: InstanceResources, t: Reservation): InstanceResources {
  return {
    ...r,
    cpu: r.cpu - t.cpu,
    memory: r.memory - t.memory,
    ports: [...r.ports, ...t.ports.map(String).filter((p) => !r.ports.includes(p))],
    portsUdp: [...r.portsUdp, ...t.portsUdp.map(String).filter((p) => !r.portsUdp.includes(p))],
  };
}

/** Gives a stopped task's reservation back; the host's own reserved ports stay taken. */
export function release(r: InstanceResources, t: Reservation, registered: InstanceResources): InstanceResources {
  const free = (taken: string[], ports: number[], own: string[]) => taken.filter((p) => own.includes(p) || !ports.map(String).includes(p));
  return {
    ...r,
    cpu: r.cpu + t.cpu,
    memory: r.memory + t.memory,
    ports: free(r.ports, t.ports, registered.ports),
    portsUdp: free(r.portsUdp, t.portsUdp, registered.portsUdp),
  };
}
