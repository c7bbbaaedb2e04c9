import type { Action, RuleCondition } from '@aws-sdk/client-elastic-load-balancing-v2';

// What the data plane is told: the whole desired configuration of every
// listener and target group, as plain values. The control plane builds it
// from the store after each change and hands it to `DataPlane.apply`; the
// data plane diffs it against what it runs. Nothing here knows of the store
// or of the API. Actions and conditions are ELBv2's own shapes, already
// validated by the control plane.

export type ListenerProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP';
export type TargetProtocol = 'HTTP' | 'HTTPS' | 'TCP' | 'TLS' | 'UDP' | 'TCP_UDP' | 'GENEVE';

/** One rule of a listener. The default rule has priority `'default'` and no conditions. */
export interface RuleConfig {
  arn: string;
  priority: number | 'default';
  conditions: RuleCondition[];
  actions: Action[];
}

export interface ListenerConfig {
  arn: string;
  loadBalancerArn: string;
  /** `application` or `network`: how requests are proxied (HTTP or byte streams). */
  loadBalancerType: 'application' | 'network';
  /** The address the listener binds (127.0.0.1 by default). */
  address: string;
  port: number;
  protocol: ListenerProtocol;
  /** HTTPS/TLS: PEM files the operator provides. */
  certificate?: { certFile: string; keyFile: string };
  /** The load balancer's idle_timeout.timeout_seconds, in ms. */
  idleTimeoutMs: number;
  /** Rules by ascending priority, the default rule last. */
  rules: RuleConfig[];
}

export interface HealthCheckConfig {
  enabled: boolean;
  protocol: 'HTTP' | 'HTTPS' | 'TCP';
  /** A port number, or `traffic-port` (the target's own port). */
  port: number | 'traffic-port';
  /** HTTP(S) only. */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
  /** HTTP codes that mean healthy: "200", "200,202", "200-299". */
  matcher: string;
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';

export interface TargetConfig {
  /** Instance id or IP address, as registered. */
  id: string;
  port: number;
  /** Where to connect. */
  address: string;
  /** The state the control plane last recorded (the health checker resumes from it). */
  state: TargetState;
  /** When the target was registered (slow start counts from its first healthy moment). */
  registeredAt: number;
  /** While draining: when the deregistration delay ends; no new request goes to a draining target. */
  drainUntil?: number;
}

export interface TargetGroupConfig {
  arn: string;
  protocol: TargetProtocol;
  targetType: 'instance' | 'ip' | 'lambda' | 'alb';
  healthCheck: HealthCheckConfig;
  /** Listeners (load balancers) that forward to it: a target group nobody uses is not health-checked (its targets are `unused`). */
  inUse: boolean;
  deregistrationDelayMs: number;
  slowStartMs: number;
  algorithm: 'round_robin' | 'least_outstanding_requests' | 'weighted_random';
  stickiness: { enabled: boolean; type: 'lb_cookie' | 'app_cookie' | 'source_ip' | string; durationMs: number; cookieName?: string };
  targets: TargetConfig[];
}

export interface DataPlaneConfig {
  listeners: ListenerConfig[];
  targetGroups: TargetGroupConfig[];
}

/** What the data plane reports back: health transitions (the control plane stores them) and request counts. */
export interface HealthReport {
  targetGroupArn: string;
  id: string;
  port: number;
  state: 'healthy' | 'unhealthy';
  /** ELBv2's reason code, e.g. `Target.ResponseCodeMismatch`; absent when healthy. */
  reason?: string;
  description?: string;
}

export interface RequestCount {
  targetGroupArn: string;
  loadBalancerArn: string;
  /** Epoch ms of the minute's start. */
  minute: number;
  requests: number;
}
