import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import type { Logger } from 'pino';
import type { RegistryAuth } from './runtime/runtime.js';

// Credentials for pulls from berth's own registry. The agent asks ECR's
// GetAuthorizationToken with its own key (as the ECS agent does for ECR
// images), learns the registry's host from the token's proxyEndpoint, and
// hands the token to Docker for images on that host (or on the control
// plane's own address). Other registries get no credentials.

const REFRESH_BEFORE_MS = 60 * 60 * 1000;

interface Token {
  username: string;
  password: string;
  hosts: Set<string>;
  expiresAt: number;
}

/** The registry host of an image reference, or undefined for Docker Hub's short names. */
export function imageHost(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

export function registryAuthFor(opts: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string }; log: Logger }) {
  const ecr = new ECRClient({ endpoint: opts.endpoint, region: opts.region, credentials: opts.credentials, maxAttempts: 3 });
  const controlHost = new URL(opts.endpoint).host;
  let token: Token | undefined;
  let pending: Promise<Token> | undefined;

  async function fetchToken(): Promise<Token> {
    const out = await ecr.send(new GetAuthorizationTokenCommand({}));
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken) throw new Error('GetAuthorizationToken returned no token');
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const hosts = new Set([controlHost]);
    if (data.proxyEndpoint) hosts.add(new URL(data.proxyEndpoint).host);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), hosts, expiresAt: data.expiresAt?.getTime() ?? Date.now() + REFRESH_BEFORE_MS };
  }

  async function current(): Promise<Token> {
    if (token && token.expiresAt - Date.now() > REFRESH_BEFORE_MS) return token;
    pending ??= fetchToken().finally(() => (pending = undefined));
    token = await pending;
    return token;
  }

  return async (image: string): Promise<RegistryAuth | undefined> => {
    const host = imageHost(image);
    if (host === undefined) return undefined;
    // The token says which host the registry answers on; only ask for one when the image might be ours.
    if (!token && host !== controlHost && !/^(127\.|localhost)/.test(host)) return undefined;
    let t: Token;
    try {
      t = await current();
    } catch (e) {
      opts.log.warn({ err: e, image }, 'could not get a registry token; pulling without credentials');
      return undefined;
    }
    return t.hosts.has(host) ? { username: t.username, password: t.password, serveraddress: host } : undefined;
  };
}
