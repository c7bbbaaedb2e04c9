import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AccountSettings } from './control/account-settings.js';
import { Clusters } from './control/clusters.js';
import { CapacityProviders } from './control/capacity-providers.js';
import { ContainerInstances } from './control/container-instances.js';
import { ServiceScheduler } from './control/reconcile/scheduler.js';
import { Services } from './control/services.js';
import { Tasks } from './control/tasks.js';
import { AgentHub } from './gateway/agent-socket.js';
import { TaskDefinitions } from './control/task-definitions.js';
import { ensureRootKey, KeyRing, type AccessKey } from './gateway/credentials.js';
import { awsPipeline, indexServices } from './gateway/pipeline.js';
import { DEFAULT_BODY_LIMIT, startGateway } from './gateway/server.js';
import { createLogger, LOG } from './log.js';
import { ecsService } from './services/ecs/index.js';
import { ecrService } from './services/ecr/index.js';
import { ociRoute } from './services/oci/routes.js';
import { ImageViews } from './registry/image-views.js';
import { LayerUploads } from './registry/layer-uploads.js';
import { Registry } from './registry/registry.js';
import { LifecyclePolicies } from './registry/lifecycle-policies.js';
import { RegistryMaintenance } from './registry/maintenance.js';
import { DEFAULT_GRACE_MS } from './registry/garbage-collector.js';
import { lifecycleHandlers } from './services/ecr/lifecycle.js';
import { scanningHandlers, scansOnPush } from './services/ecr/scanning.js';
import { Scans } from './registry/scans.js';
import { VulnerabilityDatabase } from './registry/scan/index.js';
import { stsService } from './services/sts/index.js';
import { elbv2Service } from './services/elbv2/index.js';
import { logsService } from './services/logs/index.js';
import { LogStore } from './logs/log-store.js';
import { RetentionTimer } from './logs/retention.js';
import { targetGroupHandlers } from './services/elbv2/target-groups.js';
import { LoadBalancers } from './control/elb/load-balancers.js';
import { Listeners } from './control/elb/listeners.js';
import { ListenerRules } from './control/elb/listener-rules.js';
import { TargetGroups } from './control/elb/target-groups.js';
import { Targets } from './control/elb/targets.js';
import { LoadBalancerSync } from './control/elb/data-plane-sync.js';
import { DataPlane } from './lb/data-plane.js';
import { SqliteStore } from './store/sqlite.js';
import type { Store } from './store/store.js';

// Wires one berth control plane together: store → control core → services →
// gateway. `berth up` and the end-to-end tests both start berth through here.

export interface BerthConfig {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  accountId: string;
  bodyLimitBytes?: number;
  /** The host[:port] clients use for the registry (repositoryUri); default the gateway's address. */
  registryHost?: string;
  /** How often lifecycle policies and garbage collection run (default 10 minutes). */
  registryMaintenanceMs?: number;
  /** How long an unreferenced blob is kept before garbage collection may delete it (default 1 hour). */
  registryGcGraceMs?: number;
  /** The address load balancer listeners bind (default 127.0.0.1). */
  lbAddress?: string;
  /** Where HTTPS/TLS listeners' certificates are (`<id>.crt`, `<id>.key`); default `<dataDir>/certificates`. */
  certificatesDir?: string;
  log?: Logger;
}

export interface RunningBerth {
  endpoint: string;
  rootKey: AccessKey;
  store: Store;
  registry: Registry;
  /** Runs one lifecycle + garbage collection pass now (tests, `berth` maintenance). */
  maintainRegistry(now?: number): Promise<void>;
  server: Server;
  /** The control core the in-process parts beside the gateway use (the instance pool and managed scaling). */
  control: { tasks: Tasks; containerInstances: ContainerInstances; capacityProviders: CapacityProviders };
  close(): Promise<void>;
}

export const ENDPOINT_FILE = 'endpoint.json';

/** How long a draining task keeps running at least: the time the data plane takes to stop routing to it. */
const DRAIN_PROPAGATION_MS = 1000;

export async function startBerth(config: BerthConfig): Promise<RunningBerth> {
  const log = config.log ?? createLogger();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const rootKey = ensureRootKey(config.dataDir, config.accountId);
  const keys = new KeyRing();
  keys.add(rootKey);

  const store = await SqliteStore.open(join(config.dataDir, 'berth.sqlite'));
  const accountSettings = new AccountSettings(store);
  const clusters = new Clusters(store, accountSettings);
  const taskDefinitions = new TaskDefinitions(store);
  const tasks = new Tasks(store, clusters, taskDefinitions);
  const containerInstances = new ContainerInstances(store, clusters, tasks);
  const capacityProviders = new CapacityProviders(store);
  const ecsServices = new Services(store, clusters, taskDefinitions, tasks);
  // Load balancers: the ELBv2 resources in the store, the data plane that serves them, and the sync between the two.
  const certificatesDir = config.certificatesDir ?? join(config.dataDir, 'certificates');
  const lbChanged = () => lbSync.changed();
  const elbTargets = new Targets(store, { changed: lbChanged });
  const targetGroups = new TargetGroups(store, { changed: lbChanged });
  const loadBalancers = new LoadBalancers(store, { address: config.lbAddress ?? '127.0.0.1', changed: lbChanged });
  const listeners = new Listeners(store, { changed: lbChanged, probePort: (address, port) => DataPlane.probe(address, port), certificatesDir });
  const listenerRules = new ListenerRules(store, { changed: lbChanged });
  // The service scheduler: a pass every second, and soon after an API change or a service task's report.
  const lbSync: LoadBalancerSync = new LoadBalancerSync(store, elbTargets, tasks, { log, kickService: (arn) => scheduler.kick(arn), certificatesDir });
  const scheduler = new ServiceScheduler(store, tasks, { log, beforeReconcile: (s) => lbSync.registerServiceTasks(s) });
  // A task behind a load balancer drains out of its target groups before its agent is told to stop it.
  // The data plane hears of the drain at once (its read waits for this transaction), and a task whose
  // delay is 0 still keeps running the moment it takes the data plane to stop routing to it.
  tasks.setStopDrain(async (tx, arn, now) => {
    const { until, groups } = await elbTargets.deregisterTaskIn(tx, arn, now);
    if (!groups.length) return until;
    lbChanged();
    return Math.max(until ?? now, now + DRAIN_PROPAGATION_MS);
  });
  const dataPlane = new DataPlane({ log, onHealth: (r) => void lbSync.health(r), onRequests: (c) => void lbSync.requests(c) });
  ecsServices.onChange((arn) => scheduler.kick(arn));
  tasks.onServiceTaskChange(({ clusterArn, serviceName }) => scheduler.kick(`${clusterArn.replace(':cluster/', ':service/')}/${serviceName}`));
  await clusters.ensureDefault({ accountId: config.accountId, region: config.region });
  // One control plane: no agent is connected until it connects to this one.
  await containerInstances.markAllDisconnected(Date.now());

  let gatewayAddress = `${config.host}:${config.port}`;
  const registry = new Registry(store, { dataDir: config.dataDir, registryHost: () => config.registryHost ?? gatewayAddress });
  const scans = new Scans(store, registry, new VulnerabilityDatabase(store), log);
  const imageViews = new ImageViews(registry, (repo, digest) => scans.summary(repo, digest));
  registry.onPush(({ repo, digest, manifest, now }) => {
    if (manifest.kind !== 'image' || manifest.artifactType !== undefined) return;
    void registry.repositories
      .registrySettings(repo)
      .then((settings) => (scansOnPush(repo, settings) ? scans.start(repo, digest, now) : undefined))
      .catch((e: unknown) => log.warn({ err: e, [LOG.repository]: repo.name }, 'could not start the scan on push'));
  });
  // CloudWatch Logs: its own SQLite file, so ingestion never holds the control store's write lock.
  const logStore = LogStore.open(join(config.dataDir, 'logs.sqlite'));
  const logRetention = new RetentionTimer((now) => logStore.applyRetention(now), { log });
  const lifecycle = new LifecyclePolicies(store, registry, log);
  const maintenance = new RegistryMaintenance(registry, lifecycle, {
    intervalMs: config.registryMaintenanceMs ?? 10 * 60 * 1000,
    graceMs: config.registryGcGraceMs ?? DEFAULT_GRACE_MS,
    log,
  });
  const services = indexServices([
    ecsService({ clusters, taskDefinitions, accountSettings, containerInstances, tasks, services: ecsServices, capacityProviders }),
    ecrService({ store, registry, images: imageViews, layers: new LayerUploads(registry), keys: keys.lookup, extra: { ...lifecycleHandlers(lifecycle), ...scanningHandlers(registry, scans) } }),
    elbv2Service({ loadBalancers, listeners, rules: listenerRules, extra: targetGroupHandlers({ targetGroups, targets: elbTargets }) }),
    stsService(),
    logsService({ logs: logStore }),
  ]);
  const server = await startGateway(
    {
      host: config.host,
      port: config.port,
      bodyLimitBytes: config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
      pipeline: awsPipeline(services, keys.lookup),
      log,
    },
    [ociRoute({ registry, keys: keys.lookup, log })],
  );
  const hub = new AgentHub(
    {
      instanceScope: (arn) => containerInstances.instanceScope(arn),
      assignmentsFor: (arn) => tasks.assignmentsFor(arn),
      markConnected: (arn, connected, now) => containerInstances.markConnected(arn, connected, now),
    },
    keys.lookup,
    log,
  );
  tasks.setNotifier(hub);
  scheduler.start();
  maintenance.start();
  logRetention.start();
  await lbSync.start(dataPlane);
  server.on('upgrade', (req, socket, head) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  gatewayAddress = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const endpoint = `http://${gatewayAddress}`;
  writeFileSync(join(config.dataDir, ENDPOINT_FILE), JSON.stringify({ endpoint, region: config.region }) + '\n');
  log.debug({ [LOG.endpoint]: endpoint, [LOG.dataDir]: config.dataDir }, 'berth is serving');

  return {
    endpoint,
    rootKey,
    store,
    registry,
    maintainRegistry: (now) => maintenance.runOnce(now),
    server,
    control: { tasks, containerInstances, capacityProviders },
    async close() {
      await scheduler.stop();
      await maintenance.stop();
      logRetention.stop();
      await lbSync.stop();
      await dataPlane.close();
      hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await store.close();
      logStore.close();
    },
  };
}
