// An EC2 Auto Scaling group's desired capacity, read with DescribeAutoScalingGroups (its tags: the
// pause settings; its instances: ready or not; its MinSize and MaxSize: the bounds AWS enforces) and
// DescribeInstanceRefreshes, set with SetDesiredCapacity. As for ECS, the compare-and-swap is a re-read
// just before the write. Scaling policies on the group, or the Kubernetes Cluster Autoscaler's tag,
// are another autoscaler.
import { describeTarget, type AutoScalingGroupTargetRef } from '../config/types.ts';
import { ConflictError, messageOf, TargetError } from '../errors.ts';
import { clientSettings, retrying, sendOnce, type AwsCall, type AwsCallLimits } from '../aws/calls.ts';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribePoliciesCommand,
  SetDesiredCapacityCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
} from '../aws/autoscaling-sdk.ts';
import { pauseOf, PAUSED, PAUSED_REPLICAS, PAUSED_SCALE_DOWN } from './ownership.ts';
import type { NotSettled, ScaleTarget, TargetStatus } from './types.ts';

/** One client per place, shared by a warm Lambda's invocations (as DynamoDB's: state/dynamodb.ts). */
const shared = new Map<string, AutoScalingClient>();

export function autoScalingClient(place: { region?: string | undefined; endpoint?: string | undefined }) {
  const key = JSON.stringify([place.region, place.endpoint]);
  let client = shared.get(key);
  if (!client) shared.set(key, (client = new AutoScalingClient(clientSettings(place))));
  return client;
}

/** The Kubernetes Cluster Autoscaler's auto-discovery tag: it sets this group's desired capacity too. */
const CLUSTER_AUTOSCALER_TAG = 'k8s.io/cluster-autoscaler/enabled';
const BOUNDS = "the Auto Scaling group's MinSize and MaxSize";
/** Refreshes that are replacing (or about to replace, or rolling back) instances. */
const REFRESHING = new Set(['Pending', 'InProgress', 'Cancelling', 'RollbackInProgress', 'Baking']);

export class AutoScalingGroupTarget implements ScaleTarget {
  private readonly ref: AutoScalingGroupTargetRef;
  private readonly client: AutoScalingClient;
  private readonly limits: AwsCallLimits;
  private readonly where: string;
  private ownership?: { others: string[]; warnings: string[] };

  constructor(ref: AutoScalingGroupTargetRef, client: AutoScalingClient, limits: AwsCallLimits, where: string) {
    this.ref = ref;
    this.client = client;
    this.limits = limits;
    this.where = where;
  }

  describe(): string {
    return describeTarget(this.ref);
  }

  async read(signal?: AbortSignal): Promise<TargetStatus> {
    const [group, refreshes] = await retrying(
      () => Promise.all([this.group(signal), this.refreshes(signal)]),
      this.limits,
      { signal },
    );
    const tags = Object.fromEntries((group.Tags ?? []).map((t) => [t.Key, t.Value]));
    const names = {
      paused: `tag ${PAUSED}`,
      pausedReplicas: `tag ${PAUSED_REPLICAS}`,
      pausedScaleDown: `tag ${PAUSED_SCALE_DOWN}`,
    };
    const pause = pauseOf(
      { paused: tags[PAUSED], pausedReplicas: tags[PAUSED_REPLICAS], pausedScaleDown: tags[PAUSED_SCALE_DOWN] },
      this.describe(),
      names,
    );
    const min = group.MinSize ?? 0;
    const max = group.MaxSize ?? 0;
    const warnings: string[] = [];
    if (pause.pausedReplicas !== undefined && (pause.pausedReplicas < min || pause.pausedReplicas > max)) {
      const held = Math.min(Math.max(pause.pausedReplicas, min), max);
      warnings.push(
        `${this.describe()}: tag ${PAUSED_REPLICAS} ${pause.pausedReplicas} is outside ${BOUNDS} ` +
          `(${min}..${max}), which AWS enforces: holding at ${held}`,
      );
      pause.pausedReplicas = held;
    }
    const status: TargetStatus = {
      replicas: group.DesiredCapacity ?? 0,
      readyReplicas: inService(group),
      ...pause,
      bounds: { min, max, what: BOUNDS },
    };
    const notSettled = groupSettleReason(group, refreshes);
    if (notSettled) status.notSettled = notSettled;
    const revision = revisionOf(group);
    if (revision) status.revision = revision;
    this.ownership ??= await this.owners(tags, signal);
    if (this.ownership.others.length > 0) status.otherAutoscalers = this.ownership.others;
    warnings.push(...this.ownership.warnings);
    if (warnings.length > 0) status.warnings = warnings;
    return status;
  }

  async apply(replicas: number, expectedCurrent: number, signal?: AbortSignal, until?: number): Promise<void> {
    // One unit, retried whole: a write whose answer was lost is looked at again before it is resent.
    await retrying(
      async () => {
        const group = await this.group(signal, until);
        const desired = group.DesiredCapacity ?? 0;
        if (desired === replicas) return; // an earlier attempt landed (its answer lost), or already there
        if (desired !== expectedCurrent) {
          const was = `desired capacity is no longer ${expectedCurrent} but ${desired}`;
          const why = `${was} (changed by someone else since the read)`;
          throw new ConflictError(`${this.describe()}: ${why}`);
        }
        const [min, max] = [group.MinSize ?? 0, group.MaxSize ?? 0];
        if (replicas < min || replicas > max) {
          const why = `${BOUNDS} changed since the read to ${min}..${max}, and ${replicas} is outside them`;
          throw new ConflictError(`${this.describe()}: ${why}`);
        }
        const set = new SetDesiredCapacityCommand({
          AutoScalingGroupName: this.ref.name,
          DesiredCapacity: replicas,
          HonorCooldown: false, // the decision is ours: a cooldown is for the group's own policies
        });
        const call = this.call('SetDesiredCapacity', 'autoscaling:SetDesiredCapacity');
        await sendOnce(call, (abortSignal) => this.client.send(set, { abortSignal }), this.limits, signal, until);
      },
      this.limits,
      { signal, until },
    );
  }

  private async group(signal?: AbortSignal, until?: number): Promise<AutoScalingGroup> {
    const describe = new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [this.ref.name] });
    const call = this.call('DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingGroups');
    const out = await sendOnce(
      call,
      (abortSignal) => this.client.send(describe, { abortSignal }),
      this.limits,
      signal,
      until,
    );
    const group = out.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === this.ref.name);
    if (!group) {
      const name = JSON.stringify(this.ref.name);
      const cli = `aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${name}`;
      throw new TargetError(
        `${this.describe()}: DescribeAutoScalingGroups found no such group at ${this.where}: ` +
          `check target.name (${cli})`,
      );
    }
    if (group.Status) throw new TargetError(`${this.describe()}: the group is being deleted (${group.Status})`);
    return group;
  }

  private async refreshes(signal?: AbortSignal): Promise<InstanceRefresh[]> {
    const list = new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: this.ref.name, MaxRecords: 5 });
    const call = this.call('DescribeInstanceRefreshes', 'autoscaling:DescribeInstanceRefreshes');
    const out = await sendOnce(call, (abortSignal) => this.client.send(list, { abortSignal }), this.limits, signal);
    return out.InstanceRefreshes ?? [];
  }

  /**
   * The group's own scaling policies (target tracking, step, simple, predictive) and the Cluster
   * Autoscaler's tag: other autoscalers. A look that fails becomes a one-line warning, as for Kubernetes.
   */
  private async owners(
    tags: Record<string, string | undefined>,
    signal?: AbortSignal,
  ): Promise<{ others: string[]; warnings: string[] }> {
    const others: string[] = [];
    if (tags[CLUSTER_AUTOSCALER_TAG] !== undefined && tags[CLUSTER_AUTOSCALER_TAG] !== 'false')
      others.push(`the Kubernetes Cluster Autoscaler (the group is tagged ${CLUSTER_AUTOSCALER_TAG})`);
    const list = new DescribePoliciesCommand({ AutoScalingGroupName: this.ref.name });
    const call = this.call('DescribePolicies', 'autoscaling:DescribePolicies');
    try {
      const out = await retrying(
        () => sendOnce(call, (abortSignal) => this.client.send(list, { abortSignal }), this.limits, signal),
        this.limits,
        { signal },
      );
      for (const p of out.ScalingPolicies ?? []) {
        if (p.Enabled === false) continue; // a disabled policy scales nothing
        others.push(`Auto Scaling policy ${p.PolicyName} (${p.PolicyType ?? 'SimpleScaling'})`);
      }
      return { others, warnings: [] };
    } catch (err) {
      signal?.throwIfAborted();
      return { others, warnings: [`could not check for other autoscalers of ${this.describe()}: ${messageOf(err)}`] };
    }
  }

  private call(operation: string, permission: string): AwsCall {
    return { what: this.describe(), operation, service: 'EC2 Auto Scaling', where: this.where, permission };
  }
}

/** Instances InService and Healthy: the group's ready capacity. */
function inService(group: AutoScalingGroup): number {
  return (group.Instances ?? []).filter((i) => i.LifecycleState === 'InService' && i.HealthStatus !== 'Unhealthy')
    .length;
}

/** Why a group is not settled (pure): an instance refresh, or instances not (yet, or no longer) InService. */
export function groupSettleReason(group: AutoScalingGroup, refreshes: InstanceRefresh[]): NotSettled | undefined {
  const refresh = refreshes.find((r) => REFRESHING.has(r.Status ?? ''));
  if (refresh) {
    const done = refresh.PercentageComplete !== undefined ? `, ${refresh.PercentageComplete}% complete` : '';
    return { kind: 'rollout', reason: `instance refresh ${refresh.InstanceRefreshId} ${refresh.Status}${done}` };
  }
  const desired = group.DesiredCapacity ?? 0;
  const ready = inService(group);
  const others = new Map<string, number>();
  for (const i of group.Instances ?? []) {
    const state = i.LifecycleState === 'InService' && i.HealthStatus === 'Unhealthy' ? 'Unhealthy' : i.LifecycleState;
    if (state !== 'InService') others.set(state ?? 'unknown', (others.get(state ?? 'unknown') ?? 0) + 1);
  }
  if (ready === desired && others.size === 0) return undefined;
  const states = [...others].map(([state, n]) => `${n} ${state}`).join(', ');
  return { kind: 'starting', reason: `${ready} of ${desired} instances InService${states ? ` (${states})` : ''}` };
}

/** The launch template (and version) or launch configuration the group launches: its revision. */
function revisionOf(group: AutoScalingGroup): string | undefined {
  const lt = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
  if (lt) return `${lt.LaunchTemplateId ?? lt.LaunchTemplateName}:${lt.Version ?? '$Default'}`;
  return group.LaunchConfigurationName;
}
