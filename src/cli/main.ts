import { Command } from 'commander';
import { defaults } from './config.js';
import { env } from './env.js';
import { up } from './up.js';

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
  .action((opts) => up(opts));

program
  .command('env')
  .description('print the shell exports that point the AWS CLI and SDKs at berth')
  .option('--data-dir <dir>', 'the data dir of the berth to point at (env BERTH_DATA_DIR)', defaults.dataDir)
  .option('--host <address>', 'address berth listens on, when it has not started yet', defaults.host)
  .option('--port <port>', 'port berth listens on, when it has not started yet', defaults.port)
  .option('--region <region>', 'region to use, when berth has not started yet', defaults.region)
  .action((opts) => env(opts));

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`berth: ${e.message}\n`);
  process.exit(1);
});
