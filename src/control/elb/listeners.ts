import { existsSync } from 'node:fs';
import type {
  Action,
  Certificate,
  CreateListenerInput,
  DescribeListenerCertificatesInput,
  DescribeListenersInput,
  Listener,
  ListenerAttribute,
  ModifyListenerInput,
  SslPolicy,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import { checkElbTags, dropElbTags, tagElbResource } from './elb-tags.js';
import { pageAfter } from './load-balancers.js';
import {
  certificateFiles,
  forwardedTargetGroups,
  inScope,
  listenerArn,
  listenerNotFound,
  listenersOf,
  loadBalancerNotFound,
  newElbId,
  readListener,
  readLoadBalancer,
  readTargetGroup,
  ruleArn,
  targetGroupNotFound,
  targetGroupUsers,
  type ListenerBody,
  type ListenerRecord,
  type LoadBalancerRecord,
  type RuleBody,
} from './records.js';
import { validateActions } from './rule-validation.js';

// Listeners: the ports a load balancer accepts connections on, with their
// protocol, certificates and default actions. Each listener has exactly one
// row in elb_rules with priority NULL, its default rule, whose actions mirror
// the listener's DefaultActions; every change here keeps the two in step.
//
// berth binds every listener on the load balancer's address (one address for
// all load balancers, 127.0.0.1 by default), so a port serves one listener
// across all load balancers and must not be taken by another process.
// HTTPS/TLS certificates are PEM files the operator provides, named by the
// certificate ARN's id (records.ts: certificateFiles).
//
// AWS's messages used here: "A listener already exists on this port for this
// load balancer '…'" (DuplicateListener), "Listener port '…' is already in
// use" (ModifyListener), "The following target groups cannot be associated
// with more than one load balancer: …" (TargetGroupAssociationLimit), "The
// listener and its associated target group '…' have incompatible protocols"
// (its opening; the detail after it is berth's). The others are berth's.

const validation = (message: string) => new AwsError('ValidationError', message);
const invalidConfig = (message: string) => new AwsError('InvalidConfigurationRequest', message);

/** ELBv2 quotas: listeners-per-application-load-balancer / -network-load-balancer. */
export const MAX_LISTENERS = 50;
/** certificates-per-application-load-balancer / -network-load-balancer (default certificates included). */
export const MAX_CERTIFICATES = 25;
const PAGE_SIZE = 400;

const ALB_PROTOCOLS = ['HTTPS', 'HTTP'];
const NLB_PROTOCOLS = ['TCP_UDP', 'TLS', 'UDP', 'TCP'];
const SECURE = new Set(['HTTPS', 'TLS']);
/** Which target group protocols a listener protocol can forward to. */
const COMPATIBLE: Record<string, string[]> = {
  HTTP: ['HTTP', 'HTTPS'],
  HTTPS: ['HTTP', 'HTTPS'],
  TCP: ['TCP', 'TCP_UDP'],
  TLS: ['TLS', 'TCP'],
  UDP: ['UDP', 'TCP_UDP'],
  TCP_UDP: ['TCP_UDP'],
};
const ALPN_POLICIES = ['HTTP1Only', 'HTTP2Only', 'HTTP2Optional', 'HTTP2Preferred', 'None'];

// ── SSL policies ─────────────────────────────────────────────────────────────

export const DEFAULT_SSL_POLICY = 'ELBSecurityPolicy-2016-08';

const ciphers = (names: string[]) => names.map((Name, i) => ({ Name, Priority: i + 1 }));
const TLS12_ECDHE = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES128-SHA256',
  'ECDHE-RSA-AES128-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES256-SHA384',
  'ECDHE-RSA-AES256-SHA384',
];

/** The security policies berth offers (what DescribeSSLPolicies lists; SslPolicy must name one). */
export const SSL_POLICIES: SslPolicy[] = [
  {
    Name: 'ELBSecurityPolicy-2016-08',
    SslProtocols: ['TLSv1', 'TLSv1.1', 'TLSv1.2'],
    Ciphers: ciphers([
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-AES128-SHA256',
      'ECDHE-RSA-AES128-SHA256',
      'ECDHE-ECDSA-AES128-SHA',
      'ECDHE-RSA-AES128-SHA',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-RSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-AES256-SHA384',
      'ECDHE-RSA-AES256-SHA384',
      'ECDHE-RSA-AES256-SHA',
      'ECDHE-ECDSA-AES256-SHA',
      'AES128-GCM-SHA256',
      'AES128-SHA256',
      'AES128-SHA',
      'AES256-GCM-SHA384',
      'AES256-SHA256',
      'AES256-SHA',
    ]),
    SupportedLoadBalancerTypes: ['application', 'network'],
  },
  {
    Name: 'ELBSecurityPolicy-TLS-1-2-2017-01',
    SslProtocols: ['TLSv1.2'],
    Ciphers: ciphers([...TLS12_ECDHE, 'AES128-GCM-SHA256', 'AES128-SHA256', 'AES256-GCM-SHA384', 'AES256-SHA256']),
    SupportedLoadBalancerTypes: ['application', 'network'],
  },
  {
    Name: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    SslProtocols: ['TLSv1.2', 'TLSv1.3'],
    Ciphers: ciphers(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', ...TLS12_ECDHE]),
    SupportedLoadBalancerTypes: ['application', 'network'],
  },
  {
    Name: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
    SslProtocols: ['TLSv1.3'],
    Ciphers: ciphers(['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']),
    SupportedLoadBalancerTypes: ['application', 'network'],
  },
];

function checkSslPolicy(name: string): void {
  if (!SSL_POLICIES.some((p) => p.Name === name)) throw new AwsError('SSLPolicyNotFound', `SSL policy '${name}' not found`);
}

// ── listener attributes ──────────────────────────────────────────────────────

const RESPONSE_HEADERS = [
  'strict_transport_security',
  'access_control_allow_origin',
  'access_control_allow_methods',
  'access_control_allow_headers',
  'access_control_allow_credentials',
  'access_control_expose_headers',
  'access_control_max_age',
  'content_security_policy',
  'x_content_type_options',
  'x_frame_options',
];
/** HTTPS listeners: the request headers carrying mTLS and TLS details, and their default names. */
const REQUEST_HEADERS: Record<string, string> = {
  x_amzn_mtls_clientcert_serial_number: 'X-Amzn-Mtls-Clientcert-Serial-Number',
  x_amzn_mtls_clientcert_issuer: 'X-Amzn-Mtls-Clientcert-Issuer',
  x_amzn_mtls_clientcert_subject: 'X-Amzn-Mtls-Clientcert-Subject',
  x_amzn_mtls_clientcert_validity: 'X-Amzn-Mtls-Clientcert-Validity',
  x_amzn_mtls_clientcert_leaf: 'X-Amzn-Mtls-Clientcert-Leaf',
  x_amzn_mtls_clientcert: 'X-Amzn-Mtls-Clientcert',
  x_amzn_tls_version: 'X-Amzn-Tls-Version',
  x_amzn_tls_cipher_suite: 'X-Amzn-Tls-Cipher-Suite',
};

/** The attributes a listener of this protocol has, with their defaults. */
function defaultListenerAttributes(protocol: string): Record<string, string> {
  if (protocol === 'TCP') return { 'tcp.idle_timeout.seconds': '350' };
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') return {};
  const out: Record<string, string> = { 'routing.http.response.server.enabled': 'true' };
  for (const h of RESPONSE_HEADERS) out[`routing.http.response.${h}.header_value`] = '';
  if (protocol === 'HTTPS') for (const [h, name] of Object.entries(REQUEST_HEADERS)) out[`routing.http.request.${h}.header_name`] = name;
  return out;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

/** Why a listener attribute value is refused, or undefined when it is fine. */
function listenerAttributeProblem(key: string, value: string): string | undefined {
  if (key === 'tcp.idle_timeout.seconds') return /^\d+$/.test(value) && Number(value) >= 60 && Number(value) <= 6000 ? undefined : 'a number of seconds from 60 to 6000';
  if (key === 'routing.http.response.server.enabled') return value === 'true' || value === 'false' ? undefined : "'true' or 'false'";
  if (key.startsWith('routing.http.request.')) return /^[A-Za-z0-9-]{1,40}$/.test(value) ? undefined : 'an HTTP header name of 1 to 40 letters, digits and hyphens';
  if (value.length > 1024) return 'at most 1024 characters';
  if (value === '') return undefined;
  switch (key) {
    case 'routing.http.response.x_content_type_options.header_value':
      return value === 'nosniff' ? undefined : "'nosniff' or empty";
    case 'routing.http.response.x_frame_options.header_value':
      return value === 'DENY' || value === 'SAMEORIGIN' || /^ALLOW-FROM \S+$/.test(value) ? undefined : "'DENY', 'SAMEORIGIN', 'ALLOW-FROM <uri>' or empty";
    case 'routing.http.response.access_control_allow_credentials.header_value':
      return value === 'true' ? undefined : "'true' or empty";
    case 'routing.http.response.access_control_max_age.header_value':
      return /^\d+$/.test(value) && Number(value) <= 86400 ? undefined : 'a number of seconds from 0 to 86400, or empty';
    case 'routing.http.response.access_control_allow_methods.header_value':
      return value.split(',').every((m) => HTTP_METHODS.has(m.trim())) ? undefined : 'a comma-separated list of HTTP methods, or empty';
    default:
      return /^[\x20-\x7e]*$/.test(value) ? undefined : 'visible ASCII characters';
  }
}

const toAttributeList = (a: Record<string, string>): ListenerAttribute[] => Object.entries(a).map(([Key, Value]) => ({ Key, Value }));

// ── actions, certificates, protocols ─────────────────────────────────────────

/**
 * Actions as AWS echoes them: a forward action names its groups in both
 * TargetGroupArn (when there is one) and ForwardConfig, with weights and
 * group stickiness filled in.
 */
export function normalizeActions(actions: Action[]): Action[] {
  return actions.map((a) => {
    if (a.Type !== 'forward') return a;
    const groups = a.ForwardConfig?.TargetGroups?.length
      ? a.ForwardConfig.TargetGroups.map((g) => ({ TargetGroupArn: g.TargetGroupArn, Weight: g.Weight ?? 1 }))
      : [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }];
    const sticky = a.ForwardConfig?.TargetGroupStickinessConfig;
    return {
      ...a,
      TargetGroupArn: groups.length === 1 ? groups[0]!.TargetGroupArn : undefined,
      ForwardConfig: {
        TargetGroups: groups,
        TargetGroupStickinessConfig: sticky?.Enabled ? { Enabled: true, DurationSeconds: sticky.DurationSeconds } : { Enabled: false },
      },
    };
  });
}

/**
 * The target groups a load balancer's actions forward to, checked as ELBv2
 * does: each exists in the caller's account, speaks a protocol the listener
 * can forward to, is in the load balancer's VPC, has a target type berth
 * serves, and is used by no other load balancer.
 */
export async function checkForwardTargets(tx: Tx, scope: Scope, lb: LoadBalancerRecord, listenerProtocol: string, actions: Action[]): Promise<void> {
  const arns = forwardedTargetGroups(actions);
  if (!arns.length) return;
  if (lb.body.description.Type === 'network') {
    for (const a of actions) {
      if (a.Type === 'forward' && (a.ForwardConfig?.TargetGroups?.length ?? 0) > 1) {
        throw validation("You cannot specify more than '1' target group in a forward action of a Network Load Balancer");
      }
    }
  }
  const lbVpc = lb.body.description.VpcId;
  const shared: string[] = [];
  let users: Map<string, Set<string>> | undefined;
  for (const arn of arns) {
    const tg = inScope(scope, arn) ? await readTargetGroup(tx, arn) : undefined;
    if (!tg) throw targetGroupNotFound(`Target groups '${arn}' not found`);
    const d = tg.body.description;
    if (d.TargetType === 'lambda' || d.TargetType === 'alb') throw invalidConfig(`berth does not support target groups of target type '${d.TargetType}' ('${arn}')`);
    if (!COMPATIBLE[listenerProtocol]?.includes(d.Protocol ?? '')) {
      throw new AwsError(
        'IncompatibleProtocols',
        `The listener and its associated target group '${arn}' have incompatible protocols: a ${listenerProtocol} listener can forward to target groups with protocol ${COMPATIBLE[listenerProtocol]!.join(' or ')}, not ${d.Protocol}`,
      );
    }
    if (d.VpcId !== lbVpc) {
      throw validation(
        `The target group '${arn}' is in VPC '${d.VpcId}', but the load balancer '${lb.row.arn}' is in VPC '${lbVpc}'; in berth every load balancer of an account and region is in '${lbVpc}', so create target groups with --vpc-id ${lbVpc}`,
      );
    }
    users ??= await targetGroupUsers(tx, scope.accountId, scope.region);
    if ([...(users.get(arn) ?? [])].some((other) => other !== lb.row.arn)) shared.push(arn);
  }
  if (shared.length) {
    throw new AwsError('TargetGroupAssociationLimit', `The following target groups cannot be associated with more than one load balancer: ${shared.join(', ')}`);
  }
}

/** Transport ports a protocol binds: TCP ones and UDP ones don't collide. */
function transports(protocol: string): string[] {
  if (protocol === 'UDP') return ['udp'];
  if (protocol === 'TCP_UDP') return ['tcp', 'udp'];
  return ['tcp'];
}

// ── the class ────────────────────────────────────────────────────────────────

/** A listener's stored body: the description plus the certificates added besides the default one. */
type StoredListenerBody = ListenerBody & { certificates?: string[] };

export interface ListenersOptions {
  /** Called after every committed change, so the data plane re-reads the store. */
  changed: () => void;
  /** Whether something other than berth already listens on address:port ('in-use'), or why berth could not tell (any other string). */
  probePort: (address: string, port: number) => Promise<'free' | 'in-use' | string>;
  /** Where the operator's certificates are: `<id>.crt` and `<id>.key` for `arn:aws:acm:<region>:<account>:certificate/<id>`. */
  certificatesDir: string;
}

interface Settings {
  protocol: string;
  port: number;
  certificates: string[];
  sslPolicy?: string;
  alpn?: string[];
  actions: Action[];
}

export class Listeners {
  readonly #store: Store;
  readonly #changed: () => void;
  readonly #probe: ListenersOptions['probePort'];
  readonly #certificatesDir: string;

  constructor(store: Store, opts: ListenersOptions) {
    this.#store = store;
    this.#changed = opts.changed;
    this.#probe = opts.probePort;
    this.#certificatesDir = opts.certificatesDir;
  }

  async create(scope: Scope, input: CreateListenerInput): Promise<Listener> {
    const lbArn = input.LoadBalancerArn!;
    const pre = await this.#requireLoadBalancer(this.#store.db, scope, lbArn);
    const settings = this.#settings(scope, pre, {
      protocol: input.Protocol,
      port: input.Port,
      certificates: input.Certificates,
      sslPolicy: input.SslPolicy,
      alpn: input.AlpnPolicy,
      actions: input.DefaultActions,
      mutualAuthentication: input.MutualAuthentication,
    });
    if (input.Tags) checkElbTags(input.Tags);
    const same = (await listenersOf(this.#store.db, lbArn)).find((l) => l.row.port === settings.port);
    if (!same) await this.#checkPortFree(scope, pre, settings);

    const out = await this.#store.transaction(async (tx) => {
      const lb = await this.#requireLoadBalancer(tx, scope, lbArn);
      const listeners = await listenersOf(tx, lbArn);
      const existing = listeners.find((l) => l.row.port === settings.port);
      if (existing) {
        // CreateListener is idempotent for the same settings, as on AWS.
        if (sameSettings(existing, settings)) return { listener: view(existing.body), created: false };
        throw new AwsError('DuplicateListener', `A listener already exists on this port for this load balancer '${lbArn}'`);
      }
      if (listeners.length >= MAX_LISTENERS) throw new AwsError('TooManyListeners', `A load balancer can have at most ${MAX_LISTENERS} listeners`);
      await this.#checkBerthPort(tx, scope, lb, settings);
      await this.#checkCertificateCount(tx, lb, settings.certificates.length);
      await checkForwardTargets(tx, scope, lb, settings.protocol, settings.actions);

      const arn = listenerArn(lbArn, newElbId());
      const body: StoredListenerBody = { description: describe(arn, lbArn, settings), attributes: defaultListenerAttributes(settings.protocol) };
      await tx.insertInto('elb_listeners').values({ arn, load_balancer_arn: lbArn, port: settings.port, body: JSON.stringify(body) }).execute();
      const defaultRule = ruleArn(arn, newElbId());
      const rule: RuleBody = { description: { RuleArn: defaultRule, Priority: 'default', Conditions: [], Actions: settings.actions, IsDefault: true } };
      await tx.insertInto('elb_rules').values({ arn: defaultRule, listener_arn: arn, priority: null, body: JSON.stringify(rule) }).execute();
      await tagElbResource(tx, arn, input.Tags);
      return { listener: view(body), created: true };
    });
    if (out.created) this.#changed();
    return out.listener;
  }

  async describe(scope: Scope, input: DescribeListenersInput): Promise<{ Listeners: Listener[]; NextMarker?: string }> {
    const pageSize = input.PageSize ?? PAGE_SIZE;
    if (pageSize < 1 || pageSize > PAGE_SIZE) throw validation(`Page size must be between 1 and ${PAGE_SIZE}`);
    const byArn = input.ListenerArns?.length ? input.ListenerArns : undefined;
    if (byArn && input.LoadBalancerArn) throw validation('Listener ARNs and a load balancer ARN cannot be specified at the same time');
    if (!byArn && !input.LoadBalancerArn) throw validation('You must specify either listener ARNs or a load balancer ARN');
    const db = this.#store.db;
    let records: ListenerRecord[];
    if (input.LoadBalancerArn) {
      await this.#requireLoadBalancer(db, scope, input.LoadBalancerArn);
      records = await listenersOf(db, input.LoadBalancerArn);
    } else {
      const rows = await db.selectFrom('elb_listeners').selectAll().where('arn', 'in', byArn!).execute();
      const found = new Set(rows.filter((r) => inScope(scope, r.arn)).map((r) => r.arn));
      const missing = [...new Set(byArn)].filter((a) => !found.has(a));
      if (missing.length) throw listenerNotFound(`Listeners '[${missing.join(', ')}]' not found`);
      records = rows.map((row) => ({ row, body: JSON.parse(row.body) as ListenerBody }));
    }
    records.sort((a, b) => a.row.load_balancer_arn.localeCompare(b.row.load_balancer_arn) || a.row.port - b.row.port);
    const { page, next } = pageAfter(records, input.Marker, pageSize, (r) => [r.row.load_balancer_arn, r.row.port]);
    return { Listeners: page.map((r) => view(r.body)), NextMarker: next };
  }

  async modify(scope: Scope, input: ModifyListenerInput): Promise<Listener> {
    const pre = await this.require(this.#store.db, scope, input.ListenerArn!);
    const preLb = await this.#requireLoadBalancer(this.#store.db, scope, pre.row.load_balancer_arn);
    const d = pre.body.description;
    const protocolChanged = input.Protocol !== undefined && input.Protocol !== d.Protocol;
    const protocol = input.Protocol ?? d.Protocol;
    // Leaving HTTPS/TLS drops the security policy and certificates; the other settings carry over unless given.
    const keepsTls = SECURE.has(protocol ?? '') && SECURE.has(d.Protocol ?? '');
    const settings = this.#settings(scope, preLb, {
      protocol,
      port: input.Port ?? d.Port,
      certificates: input.Certificates ?? (keepsTls ? d.Certificates : undefined),
      sslPolicy: input.SslPolicy ?? (keepsTls ? d.SslPolicy : undefined),
      alpn: input.AlpnPolicy ?? (keepsTls && protocol === 'TLS' ? d.AlpnPolicy : undefined),
      actions: input.DefaultActions ?? d.DefaultActions,
      mutualAuthentication: input.MutualAuthentication ?? (protocol === 'HTTPS' ? d.MutualAuthentication : undefined),
    });
    if (settings.port !== d.Port) {
      const taken = (await listenersOf(this.#store.db, pre.row.load_balancer_arn)).some((l) => l.row.port === settings.port);
      if (!taken) await this.#checkPortFree(scope, preLb, settings);
    }

    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, input.ListenerArn!);
      const lb = await this.#requireLoadBalancer(tx, scope, rec.row.load_balancer_arn);
      if (settings.port !== rec.row.port) {
        const clash = (await listenersOf(tx, lb.row.arn)).some((l) => l.row.port === settings.port);
        if (clash) throw validation(`Listener port '${settings.port}' is already in use`);
      }
      await this.#checkBerthPort(tx, scope, lb, settings, rec.row.arn);
      const addedCerts = (rec.body as StoredListenerBody).certificates ?? [];
      await this.#checkCertificateCount(tx, lb, settings.certificates.length + addedCerts.length, rec.row.arn);
      await checkForwardTargets(tx, scope, lb, settings.protocol, settings.actions);
      if (protocolChanged) await this.#checkRulesStillForward(tx, scope, lb, rec.row.arn, settings.protocol);

      const oldAttributes = rec.body.attributes;
      const attributes = defaultListenerAttributes(settings.protocol);
      for (const k of Object.keys(attributes)) if (k in oldAttributes) attributes[k] = oldAttributes[k]!;
      const body: StoredListenerBody = {
        description: describe(rec.row.arn, lb.row.arn, settings),
        attributes,
        certificates: SECURE.has(settings.protocol) ? addedCerts : undefined,
      };
      await tx.updateTable('elb_listeners').set({ port: settings.port, body: JSON.stringify(body) }).where('arn', '=', rec.row.arn).execute();
      await this.#syncDefaultRule(tx, rec.row.arn, settings.actions);
      return view(body);
    });
    this.#changed();
    return out;
  }

  async delete(scope: Scope, arn: string): Promise<void> {
    await this.#store.transaction(async (tx) => {
      await this.require(tx, scope, arn);
      const rules = await tx.selectFrom('elb_rules').select('arn').where('listener_arn', '=', arn).execute();
      for (const r of rules) await dropElbTags(tx, r.arn);
      await tx.deleteFrom('elb_rules').where('listener_arn', '=', arn).execute();
      await tx.deleteFrom('elb_listeners').where('arn', '=', arn).execute();
      await dropElbTags(tx, arn);
    });
    this.#changed();
  }

  async attributes(scope: Scope, arn: string): Promise<ListenerAttribute[]> {
    return toAttributeList((await this.require(this.#store.db, scope, arn)).body.attributes);
  }

  async modifyAttributes(scope: Scope, arn: string, attributes: ListenerAttribute[]): Promise<ListenerAttribute[]> {
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, arn);
      const next = { ...rec.body.attributes };
      for (const a of attributes) {
        const key = a.Key ?? '';
        const value = a.Value ?? '';
        if (!(key in next)) {
          throw validation(`Listener attribute key '${key}' is not recognized for ${rec.body.description.Protocol} listeners`);
        }
        const problem = listenerAttributeProblem(key, value);
        if (problem) throw validation(`Listener attribute '${key}' cannot be '${value}'; it must be ${problem}`);
        next[key] = value;
      }
      await tx.updateTable('elb_listeners').set({ body: JSON.stringify({ ...rec.body, attributes: next }) }).where('arn', '=', arn).execute();
      return toAttributeList(next);
    });
    this.#changed();
    return out;
  }

  async addCertificates(scope: Scope, arn: string, certificates: Certificate[]): Promise<Certificate[]> {
    const arns = certificates.map((c) => c.CertificateArn ?? '');
    for (const c of arns) this.#checkCertificate(scope, c);
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, arn);
      const d = rec.body.description;
      if (!SECURE.has(d.Protocol ?? '')) throw validation(`Certificates can be added only to HTTPS and TLS listeners; this listener's protocol is ${d.Protocol}`);
      const body = rec.body as StoredListenerBody;
      const list = [...(body.certificates ?? [])];
      for (const c of arns) if (!list.includes(c)) list.push(c);
      const lb = await this.#requireLoadBalancer(tx, scope, rec.row.load_balancer_arn);
      await this.#checkCertificateCount(tx, lb, 1 + list.length, arn);
      await tx.updateTable('elb_listeners').set({ body: JSON.stringify({ ...body, certificates: list }) }).where('arn', '=', arn).execute();
      return [...new Set(arns)].map((CertificateArn) => ({ CertificateArn, IsDefault: false }));
    });
    this.#changed();
    return out;
  }

  async removeCertificates(scope: Scope, arn: string, certificates: Certificate[]): Promise<void> {
    const arns = new Set(certificates.map((c) => c.CertificateArn ?? ''));
    await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, arn);
      const body = rec.body as StoredListenerBody;
      const def = body.description.Certificates?.[0]?.CertificateArn;
      if (def && arns.has(def) && !body.certificates?.includes(def)) {
        throw new AwsError('OperationNotPermitted', `The default certificate '${def}' cannot be removed from a listener; use ModifyListener to replace it`);
      }
      const list = (body.certificates ?? []).filter((c) => !arns.has(c));
      await tx.updateTable('elb_listeners').set({ body: JSON.stringify({ ...body, certificates: list }) }).where('arn', '=', arn).execute();
    });
    this.#changed();
  }

  async describeCertificates(scope: Scope, input: DescribeListenerCertificatesInput): Promise<{ Certificates: Certificate[]; NextMarker?: string }> {
    const pageSize = input.PageSize ?? PAGE_SIZE;
    if (pageSize < 1 || pageSize > PAGE_SIZE) throw validation(`Page size must be between 1 and ${PAGE_SIZE}`);
    const rec = await this.require(this.#store.db, scope, input.ListenerArn!);
    const body = rec.body as StoredListenerBody;
    // The default certificate first (IsDefault), then the certificate list; one in both appears twice, as on AWS.
    const all: (Certificate & { i: number })[] = [
      ...(body.description.Certificates ?? []).map((c) => ({ CertificateArn: c.CertificateArn, IsDefault: true })),
      ...(body.certificates ?? []).map((CertificateArn) => ({ CertificateArn, IsDefault: false })),
    ].map((c, i) => ({ ...c, i }));
    const { page, next } = pageAfter(all, input.Marker, pageSize, (c) => [c.i]);
    return { Certificates: page.map(({ CertificateArn, IsDefault }) => ({ CertificateArn, IsDefault })), NextMarker: next };
  }

  /** The caller's listener, or ListenerNotFound. */
  async require(tx: Tx, scope: Scope, arn: string): Promise<ListenerRecord> {
    const rec = inScope(scope, arn) ? await readListener(tx, arn) : undefined;
    if (!rec) throw listenerNotFound(`Listener '${arn}' not found`);
    return rec;
  }

  async #requireLoadBalancer(tx: Tx, scope: Scope, arn: string): Promise<LoadBalancerRecord> {
    const rec = inScope(scope, arn) ? await readLoadBalancer(tx, arn) : undefined;
    if (!rec) throw loadBalancerNotFound(`Load balancer '${arn}' not found`);
    return rec;
  }

  /** The settings of a new or modified listener, checked against its load balancer's type. */
  #settings(
    scope: Scope,
    lb: LoadBalancerRecord,
    s: {
      protocol: string | undefined;
      port: number | undefined;
      certificates: Certificate[] | undefined;
      sslPolicy: string | undefined;
      alpn: string[] | undefined;
      actions: Action[] | undefined;
      mutualAuthentication: CreateListenerInput['MutualAuthentication'];
    },
  ): Settings {
    const type = lb.body.description.Type === 'network' ? 'network' : 'application';
    const allowed = type === 'network' ? NLB_PROTOCOLS : ALB_PROTOCOLS;
    const protocol = s.protocol;
    if (protocol === undefined) throw validation('A listener protocol must be specified');
    if (protocol === 'QUIC' || protocol === 'TCP_QUIC') throw new AwsError('UnsupportedProtocol', `berth does not support the ${protocol} protocol`);
    if (!allowed.includes(protocol)) throw validation(`Listener protocol '${protocol}' must be one of '${allowed.join(', ')}'`);
    if (s.port === undefined) throw validation('A listener port must be specified');
    if (!Number.isInteger(s.port) || s.port < 1 || s.port > 65535) throw validation(`Listener port '${s.port}' must be between 1 and 65535`);
    if ((protocol === 'UDP' || protocol === 'TCP_UDP') && lb.body.description.IpAddressType !== 'ipv4') {
      throw invalidConfig(`You can't specify the ${protocol} protocol on a load balancer whose IP address type is '${lb.body.description.IpAddressType}'`);
    }

    const certificates = (s.certificates ?? []).map((c) => c.CertificateArn ?? '');
    let sslPolicy: string | undefined;
    if (SECURE.has(protocol)) {
      if (certificates.length === 0) throw validation(`A certificate must be specified for ${protocol} listeners`);
      if (certificates.length > 1) throw validation('You must specify exactly one default certificate; add more with AddListenerCertificates');
      this.#checkCertificate(scope, certificates[0]!);
      sslPolicy = s.sslPolicy ?? DEFAULT_SSL_POLICY;
      checkSslPolicy(sslPolicy);
    } else {
      if (certificates.length) throw validation(`Certificates can be specified only for HTTPS and TLS listeners, not ${protocol}`);
      if (s.sslPolicy !== undefined) throw validation(`An SSL policy can be specified only for HTTPS and TLS listeners, not ${protocol}`);
    }
    let alpn: string[] | undefined;
    if (s.alpn?.length) {
      if (protocol !== 'TLS') throw validation('An ALPN policy can be specified only for TLS listeners');
      if (s.alpn.length > 1 || !ALPN_POLICIES.includes(s.alpn[0]!)) throw validation(`The ALPN policy must be one of ${ALPN_POLICIES.join(', ')}`);
      alpn = s.alpn;
    }
    if (s.mutualAuthentication && (s.mutualAuthentication.Mode ?? 'off') !== 'off') {
      throw invalidConfig(`berth does not support mutual TLS authentication (mode '${s.mutualAuthentication.Mode}'); there are no trust stores`);
    }

    validateActions(s.actions, { listenerProtocol: protocol, loadBalancerType: type, listenerPort: s.port, member: 'defaultActions' });
    return { protocol, port: s.port, certificates, sslPolicy, alpn, actions: normalizeActions(s.actions!) };
  }

  /** A certificate ARN berth can serve: an ACM ARN of the caller's region whose PEM files the operator provided. */
  #checkCertificate(scope: Scope, arn: string): void {
    const m = /^arn:aws:acm:([a-z0-9-]+):(\d{12}):certificate\/([A-Za-z0-9-]+)$/.exec(arn);
    if (!m) throw new AwsError('CertificateNotFound', `Certificate '${arn}' not found: berth serves certificates named 'arn:aws:acm:<region>:<account>:certificate/<id>'`);
    if (m[1] !== scope.region) throw new AwsError('CertificateNotFound', `Certificate '${arn}' not found: it is not in region ${scope.region}`);
    const files = certificateFiles(this.#certificatesDir, arn);
    if (!existsSync(files.certFile) || !existsSync(files.keyFile)) {
      throw new AwsError(
        'CertificateNotFound',
        `Certificate '${arn}' not found: berth reads it from ${files.certFile} (PEM certificate chain) and ${files.keyFile} (PEM private key); put both files there`,
      );
    }
  }

  /** Before binding a port no berth listener holds: is another process on it? */
  async #checkPortFree(scope: Scope, lb: LoadBalancerRecord, s: Settings): Promise<void> {
    const address = lb.body.address;
    if (await this.#portHolder(this.#store.db, scope, address, s)) return; // the transaction reports it
    const probe = await this.#probe(address, s.port);
    if (probe === 'free') return;
    if (probe === 'in-use') {
      throw invalidConfig(`Port ${s.port} on ${address} is in use by another process on this machine; berth cannot listen there. Choose another port.`);
    }
    throw invalidConfig(`berth cannot listen on ${address}:${s.port}: ${probe}`);
  }

  /** Another berth listener (of any load balancer, in any account) that binds the same address, port and transport. */
  async #portHolder(tx: Tx, scope: Scope, address: string, s: Settings, except?: string): Promise<string | undefined> {
    const rows = await tx
      .selectFrom('elb_listeners')
      .innerJoin('elb_load_balancers', 'elb_load_balancers.arn', 'elb_listeners.load_balancer_arn')
      .select(['elb_listeners.arn as arn', 'elb_listeners.body as listener', 'elb_load_balancers.body as lb', 'elb_load_balancers.arn as lbArn'])
      .where('elb_listeners.port', '=', s.port)
      .execute();
    const mine = transports(s.protocol);
    for (const r of rows) {
      if (r.arn === except) continue;
      const lb = JSON.parse(r.lb) as LoadBalancerRecord['body'];
      if (lb.address !== address) continue;
      const theirs = transports((JSON.parse(r.listener) as ListenerBody).description.Protocol ?? 'TCP');
      if (!theirs.some((t) => mine.includes(t))) continue;
      return inScope(scope, r.lbArn) ? `load balancer '${lb.description.LoadBalancerName}'` : 'another account';
    }
    return undefined;
  }

  async #checkBerthPort(tx: Tx, scope: Scope, lb: LoadBalancerRecord, s: Settings, except?: string): Promise<void> {
    const holder = await this.#portHolder(tx, scope, lb.body.address, s, except);
    if (holder) {
      throw new AwsError(
        'DuplicateListener',
        `Port ${s.port} on ${lb.body.address} is already used by a listener of ${holder}; berth binds every load balancer's listeners on that one address, so each port can serve one listener. Choose another port.`,
      );
    }
  }

  async #checkCertificateCount(tx: Tx, lb: LoadBalancerRecord, own: number, except?: string): Promise<void> {
    let total = own;
    for (const l of await listenersOf(tx, lb.row.arn)) {
      if (l.row.arn === except) continue;
      total += (l.body.description.Certificates?.length ?? 0) + ((l.body as StoredListenerBody).certificates?.length ?? 0);
    }
    if (total > MAX_CERTIFICATES) throw new AwsError('TooManyCertificates', `A load balancer can have at most ${MAX_CERTIFICATES} certificates`);
  }

  /** After a protocol change, the listener's rules must still forward to compatible target groups. */
  async #checkRulesStillForward(tx: Tx, scope: Scope, lb: LoadBalancerRecord, arn: string, protocol: string): Promise<void> {
    const rules = await tx.selectFrom('elb_rules').select('body').where('listener_arn', '=', arn).where('priority', 'is not', null).execute();
    for (const r of rules) await checkForwardTargets(tx, scope, lb, protocol, (JSON.parse(r.body) as RuleBody).description.Actions ?? []);
  }

  async #syncDefaultRule(tx: Tx, arn: string, actions: Action[]): Promise<void> {
    const row = await tx.selectFrom('elb_rules').selectAll().where('listener_arn', '=', arn).where('priority', 'is', null).executeTakeFirst();
    if (!row) {
      const id = ruleArn(arn, newElbId());
      const rule: RuleBody = { description: { RuleArn: id, Priority: 'default', Conditions: [], Actions: actions, IsDefault: true } };
      await tx.insertInto('elb_rules').values({ arn: id, listener_arn: arn, priority: null, body: JSON.stringify(rule) }).execute();
      return;
    }
    const body = JSON.parse(row.body) as RuleBody;
    await tx.updateTable('elb_rules').set({ body: JSON.stringify({ ...body, description: { ...body.description, Actions: actions } }) }).where('arn', '=', row.arn).execute();
  }
}

function describe(arn: string, lbArn: string, s: Settings): Listener {
  return withoutUndefined({
    ListenerArn: arn,
    LoadBalancerArn: lbArn,
    Port: s.port,
    Protocol: s.protocol as Listener['Protocol'],
    Certificates: s.certificates.length ? s.certificates.map((CertificateArn) => ({ CertificateArn })) : undefined,
    SslPolicy: s.sslPolicy,
    DefaultActions: s.actions,
    AlpnPolicy: s.alpn,
  });
}

/** As the value reads back from the store: members that are undefined are absent. */
const withoutUndefined = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const view = (body: ListenerBody): Listener => body.description;

function sameSettings(existing: ListenerRecord, s: Settings): boolean {
  const d = existing.body.description;
  return (
    d.Protocol === s.protocol &&
    JSON.stringify(d.Certificates?.map((c) => c.CertificateArn) ?? []) === JSON.stringify(s.certificates) &&
    d.SslPolicy === s.sslPolicy &&
    JSON.stringify(d.AlpnPolicy ?? []) === JSON.stringify(s.alpn ?? []) &&
    JSON.stringify(d.DefaultActions) === JSON.stringify(s.actions)
  );
}
