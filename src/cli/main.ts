import { Command } from 'commander';

// berth runs on Node 20 by design; the SDK's notice about its future Node 22 floor is not for berth's users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { defaults } from './config.js';
import { agent } from './agent.js';
import { env } from './env.js';
import { logs } from './logs.js';
import { usage } from './usage.js';
import { interrupt } from './fargate.js';
import { up } from './up.js';
import { importVulns } from './ecr.js';

const program = new Command();
program
  .name('berth')
  .description('A self-hosted container platform that speaks the AWS container APIs.')
  .showHelpAfterError('(run `berth --help` for the commands)');

program
  .command('up')
  .description('start berth: the AWS API gateway and control plane on one port')
  .option('--host <address>', 'address to listen on (env BERTH_HOST)', defaults.host)
  .option('--port <port>', 'port to listen on (env BERTH_PORT)', defaults.port)
  .option('--data-dir <dir>', 'where berth keeps its state and keys (env BERTH_DATA_DIR)', defaults.dataDir)
  .option('--region <region>', "berth's default region (env BERTH_REGION)", defaults.region)
  .option('--account-id <id>', "the root key's account id (env BERTH_ACCOUNT_ID)", defaults.accountId)
  .option('--no-local-agent', 'do not run a container instance for this host in the default cluster')
  .option('--no-fargate', "do not run FARGATE tasks on this host's Docker engine (berth's managed Fargate capacity is then only the agents started with `berth agent --fargate`)")
  .option('--image-pull-behavior <behavior>', 'the local agent\'s image pulls: default, always, once or prefer-cached (env ECS_IMAGE_PULL_BEHAVIOR)', defaults.imagePullBehavior)
  .option('--cleanup-delay <seconds>', 'how long the local agent keeps stopped containers before removing them (seconds, env BERTH_CLEANUP_DELAY)', defaults.cleanupDelay)
  .option('--registry-host <host[:port]>', "the registry's address in repositoryUri and login (env BERTH_REGISTRY_HOST; default: the gateway's address)", process.env.BERTH_REGISTRY_HOST)
  .option('--registry-maintenance-interval <seconds>', 'how often lifecycle policies and registry garbage collection run', '600')
  .option('--registry-gc-grace <seconds>', 'how long an unreferenced blob is kept before garbage collection may delete it', '3600')
  .option('--lb-address <address>', "the address load balancers' listeners bind (env BERTH_LB_ADDRESS)", process.env.BERTH_LB_ADDRESS ?? '127.0.0.1')
  .option('--certificates-dir <dir>', 'where HTTPS/TLS listeners find certificate <id>.crt and <id>.key files (default: <data dir>/certificates)')
  .option('--pool-max-instances <n>', 'the most container instances berth starts for one EC2 capacity provider (managed scaling; 0: none)', '4')
  .option('--pool-instance-cpu <units>', 'CPU units each capacity provider instance registers', '2048')
  .option('--pool-instance-memory <mib>', 'MiB each capacity provider instance registers', '4096')
  .option('--spot-interruption-rate <n>', 'interrupt running FARGATE_SPOT tasks at random, n per Spot task-hour (e.g. 0.5), as AWS reclaims Spot capacity (default: never)')
  .option('--scaling-interval <seconds>', 'how often managed scaling looks at the capacity providers', '5')
  .action((opts) => up(opts));

const collect = (value: string, previous: string[]) => [...previous, value];

program
  .command('agent')
  .description('join this machine to a berth control plane as a container instance (the ECS agent)')
  .requiredOption('--endpoint <url>', 'the control plane, e.g. http://127.0.0.1:4600')
  .option('--cluster <name>', 'the cluster to join', 'default')
  .option('--fargate', "join berth's managed Fargate capacity instead of a cluster: run FARGATE and FARGATE_SPOT tasks of every cluster")
  .option('--data-dir <dir>', "the agent's own state (one per agent)", defaults.agentDataDir)
  .option('--region <region>', 'the region of the cluster', defaults.region)
  .option('--credentials-from <dir>', "read the access key from a berth data dir instead of AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
  .option('--cpu <units>', 'CPU units to register (default: cores × 1024)')
  .option('--memory <mib>', 'memory to register, in MiB (default: all of it)')
  .option('--attribute <name=value>', 'a custom attribute (repeatable)', collect, [] as string[])
  .option('--availability-zone <az>', 'the ecs.availability-zone attribute (default: <region>a)')
  .option('--instance-type <type>', 'the ecs.instance-type attribute')
  .option('--host-address <address>', 'the address published ports bind to', '127.0.0.1')
  .option('--image-pull-behavior <behavior>', 'default, always, once or prefer-cached (env ECS_IMAGE_PULL_BEHAVIOR)', defaults.imagePullBehavior)
  .option('--cleanup-delay <seconds>', 'how long stopped containers are kept before removal (seconds)', defaults.cleanupDelay)
  .action((opts) => agent(opts));

program
  .command('env')
  .description('print the shell exports that point the AWS CLI and SDKs at berth')
  .option('--data-dir <dir>', 'the data dir of the berth to point at (env BERTH_DATA_DIR)', defaults.dataDir)
  .option('--host <address>', 'address berth listens on, when it has not started yet', defaults.host)
  .option('--port <port>', 'port berth listens on, when it has not started yet', defaults.port)
  .option('--region <region>', 'region to use, when berth has not started yet', defaults.region)
  .action((opts) => env(opts));

program
  .command('logs <service-or-task>')
  .description("show the awslogs output of a service's tasks (or of one task, by id or ARN), through the CloudWatch Logs API")
  .option('--cluster <cluster>', 'the cluster of the service or task', 'default')
  .option('-f, --follow', 'keep printing new lines (Ctrl-C stops)')
  .option('--since <when>', 'from how long ago (30s, 10m, 2h, 1d) or from a time (ISO 8601)', '10m')
  .option('--filter <pattern>', 'a CloudWatch Logs filter pattern, e.g. ERROR or \'{ $.level = "error" }\'')
  .option('--data-dir <dir>', 'the data dir of the berth to read from (env BERTH_DATA_DIR)', defaults.dataDir)
  .option('--host <address>', 'address berth listens on, when its data dir does not say', defaults.host)
  .option('--port <port>', 'port berth listens on, when its data dir does not say', defaults.port)
  .option('--region <region>', 'region, when the data dir does not say', defaults.region)
  .action((target: string, opts) => logs(target, opts));

/** Where a client command finds berth: the same options as `berth logs`. */
const connectionOptions = (c: Command) =>
  c
    .option('--data-dir <dir>', 'the data dir of the berth to ask (env BERTH_DATA_DIR)', defaults.dataDir)
    .option('--host <address>', 'address berth listens on, when its data dir does not say', defaults.host)
    .option('--port <port>', 'port berth listens on, when its data dir does not say', defaults.port)
    .option('--region <region>', 'region, when the data dir does not say', defaults.region);

connectionOptions(
  program
    .command('usage')
    .description('what the Fargate tasks would have cost on AWS: vCPU-, GB- and storage-hours and on-demand/Spot cost per service, family or task')
    .option('--cluster <cluster>', 'only this cluster (default: every cluster of the region)')
    .option('--since <when>', 'from how long ago (30s, 10m, 2h, 1d) or from a time (ISO 8601); default: every task berth has')
    .option('--by <grouping>', 'one line per service, task-family or task', 'service')
    .option('--include-ec2', 'also EC2 tasks, priced as if they had run on on-demand Fargate')
    .option('--vcpu-hour <usd>', 'price per vCPU-hour instead of AWS us-east-1 on-demand')
    .option('--gb-hour <usd>', 'price per GB-hour of memory instead of AWS us-east-1 on-demand')
    .option('--storage-gb-hour <usd>', 'price per GB-hour of ephemeral storage beyond 20 GB')
    .option('--spot-discount <fraction>', "FARGATE_SPOT's discount off on-demand, 0-1 (default 0.7, AWS's \"up to 70%\")")
    .option('--json', 'print the metered tasks and the summary as JSON'),
).action((opts) => usage(opts));

const fargate = program.command('fargate').description('Fargate operator commands beside the ECS API');
connectionOptions(
  fargate
    .command('interrupt')
    .description('interrupt running FARGATE_SPOT tasks as AWS does when it reclaims Spot capacity: the two-minute warning, then SIGTERM')
    .requiredOption('--cluster <cluster>', 'the cluster whose Spot tasks to interrupt')
    .option('--count <n>', 'how many tasks (picked at random)')
    .option('--percent <p>', 'what percentage of them, 1-100 (rounded up)'),
).action((opts) => interrupt(opts));

const ecr = program.command('ecr').description("berth's registry: operator commands beside the ECR API");
ecr
  .command('import-vulns <dir>')
  .description('import OSV vulnerability advisories (a directory of OSV JSON files) for image scanning')
  .option('--data-dir <dir>', 'the data dir of the berth to import into (env BERTH_DATA_DIR)', defaults.dataDir)
  .action((dir: string, opts) => importVulns(dir, opts));

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`berth: ${e.message}\n`);
  process.exit(1);
});
