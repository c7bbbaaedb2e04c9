import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand, type CreateRepositoryRequest, type Repository } from '@aws-sdk/client-ecr';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { aws, type Berth } from '../e2e/harness.js';
import { busyboxPath } from './docker.js';

// What the registry's end-to-end suites share: the ECR token, a raw /v2/
// client, images made of random bytes (pushed raw, or built by `docker build`
// FROM scratch with the static busybox), a docker CLI with its own config
// directory (so `docker login` never touches ~/.docker), and a look at the
// blob store on disk.

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

export const sha256 = (data: Buffer | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** host:port of berth's registry (the gateway's address). */
export const registryHost = (b: Berth): string => new URL(b.endpoint).host;

export function ecrClient(b: Berth, region = b.region): ECRClient {
  return new ECRClient({
    endpoint: b.endpoint,
    region,
    credentials: { accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey },
    maxAttempts: 1,
  });
}

/** The registry password ECR hands out (the part of the authorization token after `AWS:`). */
export async function registryPassword(b: Berth): Promise<string> {
  const out = await ecrClient(b).send(new GetAuthorizationTokenCommand({}));
  const decoded = Buffer.from(out.authorizationData![0]!.authorizationToken!, 'base64').toString('utf8');
  if (!decoded.startsWith('AWS:')) throw new Error(`unexpected authorization token: ${decoded.slice(0, 20)}…`);
  return decoded.slice(4);
}

export const basicAuth = (password: string, user = 'AWS'): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Creates an ECR repository (through the SDK: fast, for set-up; the CLI's own flows are tested in registry-ecr-cli). */
export async function createRepository(b: Berth, name: string, input: Omit<CreateRepositoryRequest, 'repositoryName'> = {}): Promise<Repository> {
  return (await ecrClient(b).send(new CreateRepositoryCommand({ repositoryName: name, ...input }))).repository!;
}

// ── raw /v2/ ────────────────────────────────────────────────────────────────

export interface V2Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** The body as JSON, when it is JSON. */
  json: any;
}

export type Body = Buffer | string | AsyncIterable<Buffer> | Readable;

/** The first OCI error code of an error body. */
export const errorCode = (r: V2Response): string | undefined => r.json?.errors?.[0]?.code;

/** A small /v2/ client over node:http: one fresh connection per request, every request bounded by a timeout. */
export class V2Client {
  readonly url: URL;
  authorization: string | undefined;

  constructor(endpoint: string, authorization: string | undefined) {
    this.url = new URL(endpoint);
    this.authorization = authorization;
  }

  static async basic(b: Berth): Promise<V2Client> {
    return new V2Client(b.endpoint, basicAuth(await registryPassword(b)));
  }

  /** A client with other credentials (or none). */
  as(authorization: string | undefined): V2Client {
    return new V2Client(this.url.origin, authorization);
  }

  request(method: string, path: string, opts: { headers?: Record<string, string>; body?: Body; timeoutMs?: number } = {}): Promise<V2Response> {
    const headers: Record<string, string> = { ...(this.authorization ? { authorization: this.authorization } : {}), ...opts.headers };
    const body = opts.body;
    const fixed = body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body) : Buffer.isBuffer(body) ? body : undefined;
    if (fixed && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length' || h.toLowerCase() === 'transfer-encoding')) {
      if (fixed.length > 0 || method === 'PUT' || method === 'POST' || method === 'PATCH') headers['content-length'] = String(fixed.length);
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          fn();
        }
      };
      const req = httpRequest({ host: this.url.hostname, port: this.url.port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          settle(() => {
            const data = Buffer.concat(chunks);
            const text = data.toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, text, json });
          }),
        );
        res.on('error', (e) => settle(() => reject(e)));
      });
      const timer = setTimeout(() => {
        req.destroy(new Error(`${method} ${path} got no answer within ${opts.timeoutMs ?? 60_000} ms`));
      }, opts.timeoutMs ?? 60_000);
      // A server that answers before reading the whole body may reset while it is still being written.
      req.on('error', (e) => setTimeout(() => settle(() => reject(e)), 500));
      if (fixed) req.end(fixed);
      else {
        const source = body instanceof Readable ? body : Readable.from(body as AsyncIterable<Buffer>);
        source.on('error', (e) => req.destroy(e));
        // A broken connection stops the body's source too.
        req.on('error', () => source.destroy());
        source.pipe(req);
      }
    });
  }

  /** Monolithic upload: POST /blobs/uploads/?digest= with the whole body. */
  async pushBlob(repo: string, data: Buffer, digest = sha256(data)): Promise<V2Response> {
    return this.request('POST', `/v2/${repo}/blobs/uploads/?digest=${encodeURIComponent(digest)}`, {
      headers: { 'content-type': 'application/octet-stream' },
      body: data,
    });
  }

  /** POST, then PATCH chunks with Content-Range, then PUT ?digest=. Returns the final answer. */
  async pushBlobChunked(repo: string, data: Buffer, chunkSize: number, digest = sha256(data)): Promise<V2Response> {
    const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`);
    if (start.status !== 202) return start;
    let location = String(start.headers.location);
    for (let offset = 0; offset < data.length; offset += chunkSize) {
      const chunk = data.subarray(offset, offset + chunkSize);
      const r = await this.request('PATCH', location, {
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
        body: chunk,
      });
      if (r.status !== 202) return r;
      location = String(r.headers.location);
    }
    return this.request('PUT', withQuery(location, `digest=${encodeURIComponent(digest)}`));
  }

  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<V2Response> {
    return this.request('PUT', `/v2/${repo}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: bytes });
  }

  /** Pushes every blob of `image` (monolithic) and its manifest under `reference`. */
  async pushImage(repo: string, reference: string, image: RawImage): Promise<V2Response> {
    for (const blob of [image.config, ...image.layers]) {
      const r = await this.pushBlob(repo, blob);
      if (r.status !== 201) throw new Error(`pushing a blob to ${repo} answered ${r.status}: ${r.text}`);
    }
    const r = await this.putManifest(repo, reference, image.manifest, image.mediaType);
    if (r.status !== 201) throw new Error(`pushing the manifest to ${repo}:${reference} answered ${r.status}: ${r.text}`);
    return r;
  }
}

export const withQuery = (location: string, query: string): string => `${location}${location.includes('?') ? '&' : '?'}${query}`;

// ── images made of random bytes ─────────────────────────────────────────────

export interface RawImage {
  config: Buffer;
  layers: Buffer[];
  manifest: Buffer;
  mediaType: string;
  digest: string;
}

/** An image whose layers are random bytes (the registry never looks inside a layer). */
export function randomImage(opts: { layers?: number; layerSize?: number; format?: 'docker' | 'oci'; layerData?: Buffer[] } = {}): RawImage {
  const layers = opts.layerData ?? Array.from({ length: opts.layers ?? 2 }, () => randomBytes(opts.layerSize ?? 2048));
  const oci = opts.format === 'oci';
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) }, nonce: randomBytes(8).toString('hex') }),
  );
  const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer, digest: sha256(l), size: l.length })),
    }),
  );
  return { config, layers, manifest, mediaType, digest: sha256(manifest) };
}

/** A ustar archive of one regular file (enough for a real, extractable layer). */
export function tarOf(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) => header.write(value.padEnd(length, '\0').slice(0, length), offset, 'ascii');
  field(name, 0, 100);
  field('0000644', 100, 8);
  field('0000000', 108, 8);
  field('0000000', 116, 8);
  field(data.length.toString(8).padStart(11, '0'), 124, 12);
  field('00000000000', 136, 12);
  header.fill(' ', 148, 156);
  field('0', 156, 1);
  field('ustar', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}

// ── the blob store on disk ──────────────────────────────────────────────────

/** Digests of every blob under `<dataDir>/registry/blobs/sha256/<ab>/<hex>/data`. */
export function storedBlobs(dataDir: string): string[] {
  const root = join(dataDir, 'registry', 'blobs', 'sha256');
  const out: string[] = [];
  if (!existsSync(root)) return out;
  for (const prefix of readdirSync(root)) {
    for (const hex of readdirSync(join(root, prefix))) {
      if (existsSync(join(root, prefix, hex, 'data'))) out.push(`sha256:${hex}`);
    }
  }
  return out.sort();
}

/** Every file under the blob store (data files, and anything a broken commit left beside them). */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export const blobsDir = (dataDir: string): string => join(dataDir, 'registry', 'blobs');

// ── docker ──────────────────────────────────────────────────────────────────

export interface DockerResult {
  status: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together (docker prints progress to either). */
  output: string;
}

/**
 * The docker CLI with a private config directory. Remembers every image
 * reference it builds or tags so `cleanup()` can remove them.
 */
export class DockerCli {
  readonly configDir = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
  readonly #references = new Set<string>();
  readonly #ids = new Set<string>();
  readonly #dirs = new Set<string>([this.configDir]);

  run(args: string[], opts: { input?: string; timeoutMs?: number } = {}): DockerResult {
    const r: SpawnSyncReturns<string> = spawnSync('docker', args, {
      env: { ...process.env, DOCKER_CONFIG: this.configDir, DOCKER_BUILDKIT: '0' },
      input: opts.input,
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 120_000,
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }

  /** Runs and throws with the output when docker fails. */
  must(args: string[], opts: { input?: string; timeoutMs?: number } = {}): DockerResult {
    const r = this.run(args, opts);
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.status}):\n${r.output}`);
    return r;
  }

  /** `aws ecr get-login-password | docker login --username AWS --password-stdin <host>`. */
  login(b: Berth): DockerResult {
    const pw = aws(b, ['ecr', 'get-login-password']);
    if (pw.status !== 0) throw new Error(`aws ecr get-login-password failed: ${pw.stderr}`);
    return this.run(['login', '--username', 'AWS', '--password-stdin', registryHost(b)], { input: pw.stdout.trim() });
  }

  track(reference: string): string {
    this.#references.add(reference);
    return reference;
  }

  tag(from: string, to: string): string {
    this.must(['tag', from, to]);
    return this.track(to);
  }

  /**
   * Builds an image FROM scratch: the static busybox, then one layer per
   * file of `layerSize` random bytes at /data/layer<i>.bin. Returns each
   * file's sha256 (hex) for checking a pulled copy.
   */
  buildLayeredImage(reference: string, opts: { layers?: number; layerSize?: number } = {}): { files: { path: string; sha256: string }[]; imageId: string } {
    const dir = mkdtempSync(join(tmpdir(), 'berth-build-'));
    this.#dirs.add(dir);
    copyFileSync(busyboxPath(), join(dir, 'busybox'));
    const files: { path: string; sha256: string }[] = [];
    const lines = ['FROM scratch', 'COPY busybox /bin/busybox'];
    for (let i = 0; i < (opts.layers ?? 3); i++) {
      const data = randomBytes(opts.layerSize ?? 256 * 1024);
      writeFileSync(join(dir, `layer${i}.bin`), data);
      lines.push(`COPY layer${i}.bin /data/layer${i}.bin`);
      files.push({ path: `/data/layer${i}.bin`, sha256: createHash('sha256').update(data).digest('hex') });
    }
    lines.push('CMD ["/bin/busybox", "sh"]');
    writeFileSync(join(dir, 'Dockerfile'), lines.join('\n') + '\n');
    this.track(reference);
    this.must(['build', '-q', '-t', reference, dir], { timeoutMs: 120_000 });
    const imageId = this.must(['image', 'inspect', '--format', '{{.Id}}', reference]).stdout.trim();
    // A later build may take the tag; the id still names this image for cleanup.
    this.#ids.add(imageId);
    rmSync(dir, { recursive: true, force: true });
    this.#dirs.delete(dir);
    return { files, imageId };
  }

  /** sha256 (hex) of files inside the image, read by running it (no network). */
  fileHashes(reference: string, paths: string[]): Record<string, string> {
    const r = this.must(['run', '--rm', '--network', 'none', reference, '/bin/busybox', 'sha256sum', ...paths]);
    const out: Record<string, string> = {};
    for (const line of r.stdout.trim().split('\n')) {
      const [hash, path] = line.trim().split(/\s+/);
      if (hash && path) out[path] = hash;
    }
    return out;
  }

  /** Removes every image reference this CLI built, tagged or pulled, and its temp dirs. */
  cleanup(): void {
    const ids = new Set<string>(this.#ids);
    for (const ref of this.#references) {
      const r = this.run(['image', 'inspect', '--format', '{{.Id}}', ref]);
      if (r.status === 0) ids.add(r.stdout.trim());
    }
    if (this.#references.size) this.run(['rmi', '-f', ...this.#references]);
    if (ids.size) this.run(['rmi', '-f', ...ids]);
    this.#references.clear();
    this.#ids.clear();
    for (const d of this.#dirs) rmSync(d, { recursive: true, force: true });
    this.#dirs.clear();
  }
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFiles(dir: string, files: Record<string, Buffer | string>): void {
  for (const [name, data] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, data);
  }
}
