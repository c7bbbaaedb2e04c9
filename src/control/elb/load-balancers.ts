import { createHash, randomInt } from 'node:crypto';
import type {
  AvailabilityZone,
  CreateLoadBalancerInput,
  DescribeLoadBalancersInput,
  IpAddressType,
  LoadBalancer,
  LoadBalancerAddress,
  LoadBalancerAttribute,
  SetIpAddressTypeInput,
  SetSecurityGroupsInput,
  SetSecurityGroupsOutput,
  SetSubnetsInput,
  SetSubnetsOutput,
  SubnetMapping,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsError } from '../../gateway/errors.js';
import type { Store, Tx } from '../../store/store.js';
import type { Scope } from '../arns.js';
import { checkElbTags, dropElbTags, ElbTags, tagElbResource } from './elb-tags.js';
import {
  defaultVpcId,
  inScope,
  listenersOf,
  loadBalancerArn,
  loadBalancerNotFound,
  newElbId,
  readLoadBalancer,
  type LoadBalancerBody,
  type LoadBalancerRecord,
} from './records.js';

// Application and Network Load Balancers: creation with ELBv2's defaults,
// descriptions, attributes, deletion (with their listeners and rules), and the
// subnet / security group / IP address type settings. berth binds a load
// balancer's listeners at once, so a new load balancer is `active`
// immediately. There is no EC2 in berth: every load balancer is in the
// account's one VPC (defaultVpcId), and each subnet it names stands for one
// Availability Zone, in order (`<region>a`, `<region>b`, …).
//
// AWS's messages used here: "The load balancer name '…' cannot be longer than
// '32' characters", "At least two subnets in two different Availability Zones
// must be specified", "A load balancer cannot be attached to multiple subnets
// in the same Availability Zone", "A load balancer with the same name '…'
// exists, but with different settings", "Load balancer '…' cannot be deleted
// because deletion protection is enabled", "Load balancers '[…]' not found".
// The other messages are berth's, in the same style.

const validation = (message: string) => new AwsError('ValidationError', message);
const invalidConfig = (message: string) => new AwsError('InvalidConfigurationRequest', message);

/** ELBv2 quotas: load balancers of each type per region (application-load-balancers, network-load-balancers). */
export const MAX_LOAD_BALANCERS = 50;
/** AWS's default page size (and maximum) for Describe* operations. */
const PAGE_SIZE = 400;
const NAME_CHARS = /^[A-Za-z0-9-]+$/;
const ZONE_LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * The Route 53 hosted zone of each region's load balancers, as AWS publishes
 * them (Elastic Load Balancing endpoints and quotas), so alias records written
 * for AWS keep working. Regions not listed use us-east-1's.
 */
const HOSTED_ZONES: Record<string, { application: string; network: string }> = {
  'us-east-1': { application: 'Z35SXDOTRQ7X7K', network: 'Z26RNL4JYFTOTI' },
  'us-east-2': { application: 'Z3AADJGX6KTTL2', network: 'ZLMOA37VPKANP' },
  'us-west-1': { application: 'Z368ELLRRE2KJ0', network: 'Z24FKFUX50B4VW' },
  'us-west-2': { application: 'Z1H1FL5HABSF5', network: 'Z18D5FSROUN65G' },
  'ca-central-1': { application: 'ZQSVJUPU6J1EY', network: 'Z2EPGBW3API2WT' },
  'ap-east-1': { application: 'Z3DQVH9N71FHZ0', network: 'Z12Y7K3UBGUAD1' },
  'ap-south-1': { application: 'ZP97RAFLXTNZK', network: 'ZVDDRBQ08TROA' },
  'ap-northeast-1': { application: 'Z14GRHDCWA56QT', network: 'Z31USIVHYNEOWT' },
  'ap-northeast-2': { application: 'ZWKZPGTI48KDX', network: 'ZIBE1TIR4HY56' },
  'ap-southeast-1': { application: 'Z1LMS91P8CMLE5', network: 'ZKVM4W9LS7TM' },
  'ap-southeast-2': { application: 'Z1GM3OXH4ZPM65', network: 'ZCT6FZBF4DROD' },
  'eu-central-1': { application: 'Z215JYRZR1TBD5', network: 'Z3F0SRJ5LGBH90' },
  'eu-west-1': { application: 'Z32O12XQLNTSW2', network: 'Z2IFOLAFXWLO4F' },
  'eu-west-2': { application: 'ZHURV8PSTC4K8', network: 'ZD4D7Y8KGAS4G' },
  'eu-west-3': { application: 'Z3Q77PNBQS71R4', network: 'Z1CMS0P5QUZ6D5' },
  'eu-north-1': { application: 'Z23TAZ6LKFMNIO', network: 'Z1UDT6IFJ4EJM' },
  'eu-south-1': { application: 'Z3ULH7SSC9OV64', network: 'Z23146JA1KNAFP' },
  'sa-east-1': { application: 'Z2P70J7HTTTPLU', network: 'ZTK26PT1VY4CU' },
  'me-south-1': { application: 'ZS929ML54UICD', network: 'Z3QSRYVP46NYYV' },
  'af-south-1': { application: 'Z268VQBMOI5EKX', network: 'Z203XCE67M25HM' },
};

export function canonicalHostedZoneId(region: string, type: 'application' | 'network'): string {
  return (HOSTED_ZONES[region] ?? HOSTED_ZONES['us-east-1']!)[type];
}

/** The security group an ALB gets when none is named: the VPC's default one, a stable id per account and region. */
export function defaultSecurityGroupId(s: Scope): string {
  return `sg-${createHash('sha256').update(`${s.accountId}/${s.region}/default-sg`).digest('hex').slice(0, 17)}`;
}

// ── attributes ───────────────────────────────────────────────────────────────

type LbType = 'application' | 'network';

/** Every attribute of a new load balancer, as DescribeLoadBalancerAttributes lists them on AWS. */
function defaultAttributes(type: LbType, scheme: string): Record<string, string> {
  const common = {
    'access_logs.s3.enabled': 'false',
    'access_logs.s3.bucket': '',
    'access_logs.s3.prefix': '',
    'deletion_protection.enabled': 'false',
    'ipv6.deny_all_igw_traffic': scheme === 'internal' ? 'true' : 'false',
    'zonal_shift.config.enabled': 'false',
  };
  if (type === 'network') {
    return {
      ...common,
      'load_balancing.cross_zone.enabled': 'false',
      'dns_record.client_routing_policy': 'any_availability_zone',
      'secondary_ips.auto_assigned.per_subnet': '0',
    };
  }
  return {
    ...common,
    'idle_timeout.timeout_seconds': '60',
    'client_keep_alive.seconds': '3600',
    'connection_logs.s3.enabled': 'false',
    'connection_logs.s3.bucket': '',
    'connection_logs.s3.prefix': '',
    'health_check_logs.s3.enabled': 'false',
    'health_check_logs.s3.bucket': '',
    'health_check_logs.s3.prefix': '',
    'routing.http.desync_mitigation_mode': 'defensive',
    'routing.http.drop_invalid_header_fields.enabled': 'false',
    'routing.http.preserve_host_header.enabled': 'false',
    'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': 'false',
    'routing.http.xff_client_port.enabled': 'false',
    'routing.http.xff_header_processing.mode': 'append',
    'routing.http2.enabled': 'true',
    'waf.fail_open.enabled': 'false',
    'load_balancing.cross_zone.enabled': 'true',
  };
}

const intIn = (min: number, max: number) => (v: string) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max;
const oneOf = (...values: string[]) => (v: string) => values.includes(v);
const bool = oneOf('true', 'false');
const anyText = () => true;
/** S3 bucket names: 3–63 lowercase letters, digits, dots and hyphens (empty while logs are off). */
const bucket = (v: string) => v === '' || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v);

/** What each attribute accepts, and in words for the error message. */
const ATTRIBUTE_CHECKS: Record<string, [(v: string) => boolean, string]> = {
  'access_logs.s3.enabled': [bool, "'true' or 'false'"],
  'access_logs.s3.bucket': [bucket, 'an S3 bucket name'],
  'access_logs.s3.prefix': [anyText, ''],
  'connection_logs.s3.enabled': [bool, "'true' or 'false'"],
  'connection_logs.s3.bucket': [bucket, 'an S3 bucket name'],
  'connection_logs.s3.prefix': [anyText, ''],
  'health_check_logs.s3.enabled': [bool, "'true' or 'false'"],
  'health_check_logs.s3.bucket': [bucket, 'an S3 bucket name'],
  'health_check_logs.s3.prefix': [anyText, ''],
  'deletion_protection.enabled': [bool, "'true' or 'false'"],
  'ipv6.deny_all_igw_traffic': [bool, "'true' or 'false'"],
  'zonal_shift.config.enabled': [bool, "'true' or 'false'"],
  'load_balancing.cross_zone.enabled': [bool, "'true' or 'false'"],
  'idle_timeout.timeout_seconds': [intIn(1, 4000), 'a number of seconds from 1 to 4000'],
  'client_keep_alive.seconds': [intIn(60, 604800), 'a number of seconds from 60 to 604800'],
  'routing.http.desync_mitigation_mode': [oneOf('monitor', 'defensive', 'strictest'), "'monitor', 'defensive' or 'strictest'"],
  'routing.http.drop_invalid_header_fields.enabled': [bool, "'true' or 'false'"],
  'routing.http.preserve_host_header.enabled': [bool, "'true' or 'false'"],
  'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': [bool, "'true' or 'false'"],
  'routing.http.xff_client_port.enabled': [bool, "'true' or 'false'"],
  'routing.http.xff_header_processing.mode': [oneOf('append', 'preserve', 'remove'), "'append', 'preserve' or 'remove'"],
  'routing.http2.enabled': [bool, "'true' or 'false'"],
  'waf.fail_open.enabled': [bool, "'true' or 'false'"],
  'dns_record.client_routing_policy': [
    oneOf('availability_zone_affinity', 'partial_availability_zone_affinity', 'any_availability_zone'),
    "'availability_zone_affinity', 'partial_availability_zone_affinity' or 'any_availability_zone'",
  ],
  'secondary_ips.auto_assigned.per_subnet': [intIn(0, 7), 'a number from 0 to 7'],
};

const toAttributeList = (a: Record<string, string>): LoadBalancerAttribute[] => Object.entries(a).map(([Key, Value]) => ({ Key, Value }));

// ── names, subnets, security groups ───────────────────────────────────────────

export function checkLoadBalancerName(name: string): void {
  if (name === '') throw validation('A load balancer name must be specified');
  if (name.length > 32) throw validation(`The load balancer name '${name}' cannot be longer than '32' characters`);
  if (!NAME_CHARS.test(name)) throw validation(`The load balancer name '${name}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (name.startsWith('-') || name.endsWith('-')) throw validation(`The load balancer name '${name}' cannot begin or end with a hyphen(-)`);
  if (name.toLowerCase().startsWith('internal-')) throw validation(`The load balancer name '${name}' cannot begin with 'internal-'`);
}

/**
 * The Availability Zones of a load balancer from the subnets (or subnet
 * mappings) it names: each distinct subnet is one zone, lettered in order.
 */
function zonesFrom(scope: Scope, type: LbType, subnets: string[] | undefined, mappings: SubnetMapping[] | undefined, scheme: string): AvailabilityZone[] {
  if (subnets?.length && mappings?.length) throw validation('You can specify subnets or subnet mappings, but not both');
  const list: SubnetMapping[] = mappings?.length ? mappings : (subnets ?? []).map((SubnetId) => ({ SubnetId }));
  const seen = new Map<string, SubnetMapping>();
  for (const m of list) {
    const id = m.SubnetId;
    if (!id) throw validation('A subnet ID must be specified for each subnet mapping');
    if (!/^subnet-[0-9A-Za-z]+$/.test(id)) throw new AwsError('SubnetNotFound', `The subnet ID '${id}' is not valid`);
    if (seen.has(id)) {
      // The same subnet twice: the same zone twice.
      throw invalidConfig('A load balancer cannot be attached to multiple subnets in the same Availability Zone');
    }
    seen.set(id, m);
  }
  if (type === 'application' && seen.size < 2) throw validation('At least two subnets in two different Availability Zones must be specified');
  if (seen.size === 0) throw validation('At least one subnet must be specified');
  if (seen.size > ZONE_LETTERS.length) throw invalidConfig('A load balancer cannot be attached to multiple subnets in the same Availability Zone');
  return [...seen.values()].map((m, i) => {
    const zone: AvailabilityZone = { ZoneName: `${scope.region}${ZONE_LETTERS[i]}`, SubnetId: m.SubnetId };
    if (type === 'application') {
      if (m.AllocationId || m.PrivateIPv4Address || m.IPv6Address) {
        throw invalidConfig("You can't specify Elastic IP addresses, private IPv4 addresses or IPv6 addresses in the subnet mappings of an Application Load Balancer");
      }
      return zone;
    }
    if (m.AllocationId && scheme === 'internal') throw invalidConfig('You can specify Elastic IP addresses only for internet-facing load balancers');
    if (m.PrivateIPv4Address && scheme !== 'internal') throw invalidConfig('You can specify private IPv4 addresses only for internal load balancers');
    const address: LoadBalancerAddress = {};
    if (m.AllocationId) address.AllocationId = m.AllocationId;
    if (m.PrivateIPv4Address) address.PrivateIPv4Address = m.PrivateIPv4Address;
    if (m.IPv6Address) address.IPv6Address = m.IPv6Address;
    zone.LoadBalancerAddresses = Object.keys(address).length ? [address] : [];
    return zone;
  });
}

function checkSecurityGroups(groups: string[]): void {
  for (const g of groups) {
    if (!/^sg-[0-9A-Za-z]+$/.test(g)) throw new AwsError('InvalidSecurityGroup', `Security group '${g}' is not valid`);
  }
  if (new Set(groups).size !== groups.length) throw validation('A security group can be specified only once');
}

function checkIpAddressType(type: LbType, ipType: string): void {
  const allowed = type === 'application' ? ['ipv4', 'dualstack', 'dualstack-without-public-ipv4'] : ['ipv4', 'dualstack'];
  if (!allowed.includes(ipType)) throw validation(`IP address type '${ipType}' is not supported for load balancers of type '${type}'; use ${allowed.map((t) => `'${t}'`).join(', ')}`);
}

/** `name-1234567890.us-east-1.elb.localhost` (internal ones begin with `internal-`, as on AWS); *.localhost resolves to loopback. */
function dnsName(scope: Scope, name: string, scheme: string): string {
  const digits = String(randomInt(1_000_000_000, 10_000_000_000));
  return `${scheme === 'internal' ? 'internal-' : ''}${name}-${digits}.${scope.region}.elb.localhost`;
}

export const loadBalancerView = (body: LoadBalancerBody): LoadBalancer => ({ ...body.description, CreatedTime: new Date(body.description.CreatedTime) });

// ── the class ────────────────────────────────────────────────────────────────

export interface LoadBalancersOptions {
  /** The address listeners bind (berth's listener address, 127.0.0.1 by default). */
  address: string;
  /** Called after every committed change, so the data plane re-reads the store. */
  changed: () => void;
}

export class LoadBalancers {
  readonly #store: Store;
  readonly #address: string;
  readonly #changed: () => void;
  /** AddTags, RemoveTags and DescribeTags, over every kind of ELBv2 resource. */
  readonly tags: ElbTags;

  constructor(store: Store, opts: LoadBalancersOptions) {
    this.#store = store;
    this.#address = opts.address;
    this.#changed = opts.changed;
    this.tags = new ElbTags(store);
  }

  async create(scope: Scope, input: CreateLoadBalancerInput, now: number): Promise<LoadBalancer> {
    const name = input.Name ?? '';
    checkLoadBalancerName(name);
    const requested = input.Type ?? 'application';
    if (requested === 'gateway') {
      throw invalidConfig("berth does not support Gateway Load Balancers (there is no GENEVE appliance fleet to route to); use type 'application' or 'network'");
    }
    const type: LbType = requested;
    const scheme = input.Scheme ?? 'internet-facing';
    const ipType = input.IpAddressType ?? 'ipv4';
    checkIpAddressType(type, ipType);
    if (input.CustomerOwnedIpv4Pool !== undefined) throw invalidConfig('berth has no Outposts; CustomerOwnedIpv4Pool is not supported');
    if (input.IpamPools !== undefined) throw invalidConfig('berth has no IPAM; IpamPools is not supported');
    if (input.EnablePrefixForIpv6SourceNat === 'on') throw invalidConfig('berth does not support source NAT with IPv6 prefixes');
    const zones = zonesFrom(scope, type, input.Subnets, input.SubnetMappings, scheme);
    let securityGroups = input.SecurityGroups;
    if (securityGroups) checkSecurityGroups(securityGroups);
    if (type === 'application' && !securityGroups?.length) securityGroups = [defaultSecurityGroupId(scope)];
    if (input.Tags) checkElbTags(input.Tags);

    const out = await this.#store.transaction(async (tx) => {
      const existing = await tx
        .selectFrom('elb_load_balancers')
        .selectAll()
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('name', '=', name)
        .executeTakeFirst();
      if (existing) {
        // CreateLoadBalancer is idempotent for the same settings, as on AWS.
        const d = (JSON.parse(existing.body) as LoadBalancerBody).description;
        const sameZones = JSON.stringify(d.AvailabilityZones?.map((z) => z.SubnetId)) === JSON.stringify(zones.map((z) => z.SubnetId));
        const sameGroups = input.SecurityGroups === undefined || JSON.stringify([...(d.SecurityGroups ?? [])].sort()) === JSON.stringify([...securityGroups!].sort());
        if (d.Type === type && d.Scheme === scheme && d.IpAddressType === ipType && sameZones && sameGroups) return { lb: loadBalancerView(JSON.parse(existing.body) as LoadBalancerBody), created: false };
        throw new AwsError('DuplicateLoadBalancerName', `A load balancer with the same name '${name}' exists, but with different settings`);
      }
      const count = await tx
        .selectFrom('elb_load_balancers')
        .select('arn')
        .where('account_id', '=', scope.accountId)
        .where('region', '=', scope.region)
        .where('arn', 'like', `%:loadbalancer/${type === 'network' ? 'net' : 'app'}/%`)
        .execute();
      if (count.length >= MAX_LOAD_BALANCERS) {
        throw new AwsError('TooManyLoadBalancers', `You have reached the maximum number of ${type === 'network' ? 'Network' : 'Application'} Load Balancers (${MAX_LOAD_BALANCERS}) for this account in ${scope.region}`);
      }
      const arn = loadBalancerArn(scope, type, name, newElbId());
      const body: LoadBalancerBody = {
        description: {
          LoadBalancerArn: arn,
          DNSName: dnsName(scope, name, scheme),
          CanonicalHostedZoneId: canonicalHostedZoneId(scope.region, type),
          CreatedTime: now,
          LoadBalancerName: name,
          Scheme: scheme,
          VpcId: defaultVpcId(scope),
          State: { Code: 'active' },
          Type: type,
          AvailabilityZones: zones,
          SecurityGroups: securityGroups,
          IpAddressType: ipType,
          EnablePrefixForIpv6SourceNat: type === 'network' && input.EnablePrefixForIpv6SourceNat ? input.EnablePrefixForIpv6SourceNat : undefined,
        },
        attributes: defaultAttributes(type, scheme),
        address: this.#address,
      };
      await tx.insertInto('elb_load_balancers').values({ arn, account_id: scope.accountId, region: scope.region, name, created_at: now, body: JSON.stringify(body) }).execute();
      await tagElbResource(tx, arn, input.Tags);
      return { lb: loadBalancerView(JSON.parse(JSON.stringify(body)) as LoadBalancerBody), created: true };
    });
    if (out.created) this.#changed();
    return out.lb;
  }

  async describe(scope: Scope, input: DescribeLoadBalancersInput): Promise<{ LoadBalancers: LoadBalancer[]; NextMarker?: string }> {
    if (input.LoadBalancerArns?.length && input.Names?.length) throw validation('Load balancer names and load balancer ARNs cannot be specified at the same time');
    const pageSize = input.PageSize ?? PAGE_SIZE;
    if (pageSize < 1 || pageSize > PAGE_SIZE) throw validation(`Page size must be between 1 and ${PAGE_SIZE}`);
    let q = this.#store.db.selectFrom('elb_load_balancers').selectAll().where('account_id', '=', scope.accountId).where('region', '=', scope.region);
    if (input.LoadBalancerArns?.length) q = q.where('arn', 'in', input.LoadBalancerArns);
    if (input.Names?.length) q = q.where('name', 'in', input.Names);
    const rows = await q.orderBy('created_at').orderBy('arn').execute();
    if (input.LoadBalancerArns?.length) {
      const found = new Set(rows.map((r) => r.arn));
      const missing = [...new Set(input.LoadBalancerArns)].filter((a) => !found.has(a));
      if (missing.length) throw loadBalancerNotFound(`Load balancers '[${missing.join(', ')}]' not found`);
    }
    if (input.Names?.length) {
      const found = new Set(rows.map((r) => r.name));
      const missing = [...new Set(input.Names)].filter((n) => !found.has(n));
      if (missing.length) throw loadBalancerNotFound(`Load balancers '[${missing.join(', ')}]' not found`);
    }
    const { page, next } = pageAfter(rows, input.Marker, pageSize, (r) => [Number(r.created_at), r.arn]);
    return { LoadBalancers: page.map((r) => loadBalancerView(JSON.parse(r.body) as LoadBalancerBody)), NextMarker: next };
  }

  async delete(scope: Scope, arn: string): Promise<void> {
    const deleted = await this.#store.transaction(async (tx) => {
      const rec = await readLoadBalancer(tx, arn);
      // Deleting a load balancer that is not there succeeds, as on AWS.
      if (!rec || !inScope(scope, arn)) return false;
      if (rec.body.attributes['deletion_protection.enabled'] === 'true') {
        throw new AwsError('OperationNotPermitted', `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`);
      }
      for (const l of await listenersOf(tx, arn)) {
        const rules = await tx.selectFrom('elb_rules').select('arn').where('listener_arn', '=', l.row.arn).execute();
        for (const r of rules) await dropElbTags(tx, r.arn);
        await tx.deleteFrom('elb_rules').where('listener_arn', '=', l.row.arn).execute();
        await dropElbTags(tx, l.row.arn);
      }
      await tx.deleteFrom('elb_listeners').where('load_balancer_arn', '=', arn).execute();
      await tx.deleteFrom('elb_load_balancers').where('arn', '=', arn).execute();
      await dropElbTags(tx, arn);
      return true;
    });
    if (deleted) this.#changed();
  }

  async attributes(scope: Scope, arn: string): Promise<LoadBalancerAttribute[]> {
    const rec = await this.require(this.#store.db, scope, arn);
    return toAttributeList(rec.body.attributes);
  }

  async modifyAttributes(scope: Scope, arn: string, attributes: LoadBalancerAttribute[]): Promise<LoadBalancerAttribute[]> {
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, arn);
      const current = rec.body.attributes;
      const next = { ...current };
      for (const a of attributes) {
        const key = a.Key ?? '';
        const value = a.Value ?? '';
        if (!(key in current)) throw validation(`Load balancer attribute key '${key}' is not recognized`);
        const [check, allowed] = ATTRIBUTE_CHECKS[key]!;
        if (!check(value)) throw validation(`Load balancer attribute '${key}' cannot be '${value}'; it must be ${allowed}`);
        next[key] = value;
      }
      if (rec.body.description.Type === 'application' && next['load_balancing.cross_zone.enabled'] !== 'true') {
        throw invalidConfig("Cross-zone load balancing is always on for Application Load Balancers; 'load_balancing.cross_zone.enabled' cannot be 'false'");
      }
      const secondary = 'secondary_ips.auto_assigned.per_subnet';
      if (secondary in current && Number(next[secondary]) < Number(current[secondary])) {
        throw invalidConfig(`'${secondary}' cannot be decreased (it is '${current[secondary]}')`);
      }
      for (const logs of ['access_logs', 'connection_logs', 'health_check_logs']) {
        if (next[`${logs}.s3.enabled`] === 'true' && !next[`${logs}.s3.bucket`]) {
          throw validation(`'${logs}.s3.bucket' must be specified when '${logs}.s3.enabled' is 'true'`);
        }
      }
      await this.#write(tx, rec, { ...rec.body, attributes: next });
      return toAttributeList(next);
    });
    this.#changed();
    return out;
  }

  async setSecurityGroups(scope: Scope, input: SetSecurityGroupsInput): Promise<SetSecurityGroupsOutput> {
    const groups = input.SecurityGroups ?? [];
    checkSecurityGroups(groups);
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, input.LoadBalancerArn!);
      const d = rec.body.description;
      if (d.Type === 'network') {
        if (!d.SecurityGroups?.length) {
          throw invalidConfig("You can't set the security groups of a Network Load Balancer that was created without security groups");
        }
      } else if (groups.length === 0) {
        throw validation('An Application Load Balancer must have at least one security group');
      }
      if (input.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic !== undefined && d.Type !== 'network') {
        throw validation("'EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic' applies only to Network Load Balancers");
      }
      const description: LoadBalancerBody['description'] = {
        ...d,
        SecurityGroups: groups,
        EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: input.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic ?? d.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic,
      };
      await this.#write(tx, rec, { ...rec.body, description });
      return {
        SecurityGroupIds: groups,
        EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: description.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic as SetSecurityGroupsOutput['EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic'],
      };
    });
    this.#changed();
    return out;
  }

  async setSubnets(scope: Scope, input: SetSubnetsInput): Promise<SetSubnetsOutput> {
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, input.LoadBalancerArn!);
      const d = rec.body.description;
      const type = d.Type as LbType;
      const zones = zonesFrom(scope, type, input.Subnets, input.SubnetMappings, d.Scheme ?? 'internet-facing');
      const ipType = input.IpAddressType ?? d.IpAddressType ?? 'ipv4';
      checkIpAddressType(type, ipType);
      if (ipType !== d.IpAddressType) await this.#checkDualStack(tx, rec, ipType);
      const description = { ...d, AvailabilityZones: zones, IpAddressType: ipType as IpAddressType };
      await this.#write(tx, rec, { ...rec.body, description });
      return { AvailabilityZones: zones, IpAddressType: description.IpAddressType };
    });
    this.#changed();
    return out;
  }

  async setIpAddressType(scope: Scope, input: SetIpAddressTypeInput): Promise<{ IpAddressType?: IpAddressType }> {
    const out = await this.#store.transaction(async (tx) => {
      const rec = await this.require(tx, scope, input.LoadBalancerArn!);
      const ipType = input.IpAddressType!;
      checkIpAddressType(rec.body.description.Type as LbType, ipType);
      await this.#checkDualStack(tx, rec, ipType);
      await this.#write(tx, rec, { ...rec.body, description: { ...rec.body.description, IpAddressType: ipType } });
      return { IpAddressType: ipType };
    });
    this.#changed();
    return out;
  }

  /** The caller's load balancer, or LoadBalancerNotFound. */
  async require(tx: Tx, scope: Scope, arn: string): Promise<LoadBalancerRecord> {
    const rec = await readLoadBalancer(tx, arn);
    if (!rec || !inScope(scope, arn)) throw loadBalancerNotFound(`Load balancer '${arn}' not found`);
    return rec;
  }

  /** "You can't specify the UDP or TCP_UDP protocol if dual-stack mode is enabled." */
  async #checkDualStack(tx: Tx, rec: LoadBalancerRecord, ipType: string): Promise<void> {
    if (ipType === 'ipv4') return;
    const udp = (await listenersOf(tx, rec.row.arn)).filter((l) => l.body.description.Protocol === 'UDP' || l.body.description.Protocol === 'TCP_UDP');
    if (udp.length) throw invalidConfig(`A load balancer with UDP or TCP_UDP listeners cannot use IP address type '${ipType}'`);
  }

  async #write(tx: Tx, rec: LoadBalancerRecord, body: LoadBalancerBody): Promise<void> {
    await tx.updateTable('elb_load_balancers').set({ body: JSON.stringify(body) }).where('arn', '=', rec.row.arn).execute();
  }
}

// ── pagination ───────────────────────────────────────────────────────────────

/**
 * One page of `rows` (already in order) after `marker`. A marker is the sort
 * key of the last item of the previous page, so pages stay right while items
 * come and go between calls; an unreadable marker is a ValidationError.
 */
export function pageAfter<T>(rows: T[], marker: string | undefined, pageSize: number, key: (row: T) => (string | number)[]): { page: T[]; next?: string } {
  let start = 0;
  if (marker !== undefined) {
    const after = decodeMarker(marker);
    start = rows.findIndex((r) => compareKeys(key(r), after) > 0);
    if (start < 0) start = rows.length;
  }
  const page = rows.slice(start, start + pageSize);
  const next = start + pageSize < rows.length ? Buffer.from(JSON.stringify(key(page.at(-1)!))).toString('base64url') : undefined;
  return { page, next };
}

function decodeMarker(marker: string): (string | number)[] {
  try {
    const k = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(k) && k.length > 0 && k.every((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) return k as (string | number)[];
  } catch {
    // fall through
  }
  throw validation(`The marker '${marker}' is not valid; use the NextMarker of the previous response`);
}

function compareKeys(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}
