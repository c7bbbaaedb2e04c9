import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { ListenerConfig } from './config.js';
import { LB_LOG } from './log-fields.js';

/**
 * Binds a listener's stream server on its address and port (exclusively).
 * Rejects with the bind error (EADDRINUSE, EACCES …); once bound, later
 * server errors are logged, never thrown.
 */
export function listen(server: Server, c: ListenerConfig, log: Logger): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      server.on('error', (err) => log.warn({ [LB_LOG.listener]: c.arn, [LB_LOG.err]: err }, 'listener error'));
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host: c.address, port: c.port, exclusive: true });
  });
}
