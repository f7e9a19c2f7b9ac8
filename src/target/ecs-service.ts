// An Amazon ECS service's desiredCount, read with DescribeServices (its tags included: the pause
// settings) and set with UpdateService. ECS has no conditional update, so the compare-and-swap is a
// re-read just before the write: a count that is no longer the one the run decided from is a
// conflict (exit 3). Application Auto Scaling policies on the service are another autoscaler.
import { describeTarget, type EcsServiceTargetRef } from '../config/types.ts';
import { ConflictError, messageOf, TargetError } from '../errors.ts';
import { clientSettings, retrying, sendOnce, type AwsCall, type AwsCallLimits } from '../aws/calls.ts';
import {
  ApplicationAutoScalingClient,
  DescribeScalingPoliciesCommand,
  DescribeServicesCommand,
  ECSClient,
  UpdateServiceCommand,
  type Service,
} from '../aws/ecs-sdk.ts';
import { pauseOf, PAUSED, PAUSED_REPLICAS, PAUSED_SCALE_DOWN } from './ownership.ts';
import type { NotSettled, ScaleTarget, TargetStatus } from './types.ts';
import { plural } from '../plural.ts';

export interface EcsClients {
  ecs: ECSClient;
  scaling: ApplicationAutoScalingClient;
}

/** One pair of clients per place, shared by a warm Lambda's invocations (as DynamoDB's: state/dynamodb.ts). */
const shared = new Map<string, EcsClients>();

export function ecsClients(place: { region?: string | undefined; endpoint?: string | undefined }): EcsClients {
  const key = JSON.stringify([place.region, place.endpoint]);
  let clients = shared.get(key);
  if (!clients) {
    const settings = clientSettings(place);
    clients = { ecs: new ECSClient(settings), scaling: new ApplicationAutoScalingClient(settings) };
    shared.set(key, clients);
  }
  return clients;
}

export class EcsServiceTarget implements ScaleTarget {
  private readonly ref: EcsServiceTargetRef;
  private readonly clients: EcsClients;
  private readonly limits: AwsCallLimits;
  private readonly where: string;
  /** Looked for on the first read only: a run's re-read (after a failed apply) needs no new look. */
  private ownership?: { others: string[]; warnings: string[] };

  constructor(ref: EcsServiceTargetRef, clients: EcsClients, limits: AwsCallLimits, where: string) {
    this.ref = ref;
    this.clients = clients;
    this.limits = limits;
    this.where = where;
  }

  describe(): string {
    return describeTarget(this.ref);
  }

  async read(signal?: AbortSignal): Promise<TargetStatus> {
    const service = await retrying(() => this.service(signal), this.limits, { signal });
    const tags = Object.fromEntries((service.tags ?? []).map((t) => [t.key, t.value]));
    const pause = pauseOf(
      { paused: tags[PAUSED], pausedReplicas: tags[PAUSED_REPLICAS], pausedScaleDown: tags[PAUSED_SCALE_DOWN] },
      this.describe(),
      {
        paused: `tag ${PAUSED}`,
        pausedReplicas: `tag ${PAUSED_REPLICAS}`,
        pausedScaleDown: `tag ${PAUSED_SCALE_DOWN}`,
      },
    );
    const status: TargetStatus = {
      replicas: service.desiredCount ?? 0,
      readyReplicas: service.runningCount ?? 0,
      ...pause,
    };
    const notSettled = ecsSettleReason(service);
    if (notSettled) status.notSettled = notSettled;
    // The task definition the service runs: a new one is a new service time (the model policy).
    const primary = service.deployments?.find((d) => d.status === 'PRIMARY');
    const revision = primary?.taskDefinition ?? service.taskDefinition;
    if (revision) status.revision = revision;
    this.ownership ??= await this.owners(signal);
    if (this.ownership.others.length > 0) status.otherAutoscalers = this.ownership.others;
    if (this.ownership.warnings.length > 0) status.warnings = this.ownership.warnings;
    return status;
  }

  async apply(replicas: number, expectedCurrent: number, signal?: AbortSignal, until?: number): Promise<void> {
    // One unit, retried whole: a write whose answer was lost is looked at again before it is resent.
    await retrying(
      async () => {
        const desired = (await this.service(signal, until)).desiredCount ?? 0;
        if (desired === replicas) return; // an earlier attempt landed (its answer lost), or already there
        if (desired !== expectedCurrent) {
          const was = `desiredCount is no longer ${expectedCurrent} but ${desired}`;
          const why = `${was} (changed by someone else since the read)`;
          throw new ConflictError(`${this.describe()}: ${why}`);
        }
        const update = new UpdateServiceCommand({
          cluster: this.ref.cluster,
          service: this.ref.service,
          desiredCount: replicas,
        });
        const call = this.call('UpdateService', 'ecs:UpdateService', 'ECS');
        await sendOnce(
          call,
          (abortSignal) => this.clients.ecs.send(update, { abortSignal }),
          this.limits,
          signal,
          until,
        );
      },
      this.limits,
      { signal, until },
    );
  }

  private async service(signal?: AbortSignal, until?: number): Promise<Service> {
    const describe = new DescribeServicesCommand({
      cluster: this.ref.cluster,
      services: [this.ref.service],
      include: ['TAGS'],
    });
    const call = this.call('DescribeServices', 'ecs:DescribeServices', 'ECS');
    const out = await sendOnce(
      call,
      (abortSignal) => this.clients.ecs.send(describe, { abortSignal }),
      this.limits,
      signal,
      until,
    );
    const service = out.services?.find((s) => s.serviceName === this.ref.service);
    if (!service || service.status === 'INACTIVE') {
      const reason = out.failures?.[0]?.reason ?? service?.status ?? 'MISSING';
      const cli = `aws ecs describe-services --cluster ${this.ref.cluster} --services ${this.ref.service}`;
      throw new TargetError(
        `${this.describe()}: DescribeServices found no active service (${reason}) at ${this.where}: ` +
          `check target.cluster and target.service (${cli})`,
      );
    }
    return service;
  }

  /**
   * Application Auto Scaling policies on this service's desired count: another autoscaler. Never
   * fails the run: a look the role may not make, or any other error, becomes a one-line warning.
   */
  private async owners(signal?: AbortSignal): Promise<{ others: string[]; warnings: string[] }> {
    const clusterName = this.ref.cluster.slice(this.ref.cluster.lastIndexOf('/') + 1);
    const list = new DescribeScalingPoliciesCommand({
      ServiceNamespace: 'ecs',
      ResourceId: `service/${clusterName}/${this.ref.service}`,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    const permission = 'application-autoscaling:DescribeScalingPolicies';
    const call = this.call('DescribeScalingPolicies', permission, 'Application Auto Scaling');
    try {
      const out = await retrying(
        () => sendOnce(call, (abortSignal) => this.clients.scaling.send(list, { abortSignal }), this.limits, signal),
        this.limits,
        { signal },
      );
      const others = (out.ScalingPolicies ?? []).map(
        (p) => `Application Auto Scaling policy ${p.PolicyName} (${p.PolicyType})`,
      );
      return { others, warnings: [] };
    } catch (err) {
      signal?.throwIfAborted();
      return {
        others: [],
        warnings: [`could not check for other autoscalers of ${this.describe()}: ${messageOf(err)}`],
      };
    }
  }

  private call(operation: string, permission: string, service: string): AwsCall {
    return { what: this.describe(), operation, service, where: this.where, permission };
  }
}

/** Why an ECS service is not settled (pure): a deployment in progress, or tasks not yet (or still) running. */
export function ecsSettleReason(service: Service): NotSettled | undefined {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const taskDefinition = (primary?.taskDefinition ?? '').slice((primary?.taskDefinition ?? '').lastIndexOf('/') + 1);
  if (deployments.length > 1) {
    const of = taskDefinition ? ` (to ${taskDefinition})` : '';
    return { kind: 'rollout', reason: `deployment in progress${of}: ${deployments.length} deployments active` };
  }
  if (primary?.rolloutState === 'IN_PROGRESS') {
    const of = taskDefinition ? ` of ${taskDefinition}` : '';
    return { kind: 'rollout', reason: `deployment in progress: the rollout${of} is IN_PROGRESS` };
  }
  const desired = service.desiredCount ?? 0;
  const running = service.runningCount ?? 0;
  const pending = service.pendingCount ?? 0;
  if (running < desired) {
    const waiting = pending > 0 ? `, ${pending} pending` : '';
    return { kind: 'starting', reason: `${running} of ${desired} tasks running${waiting}` };
  }
  if (running > desired)
    return { kind: 'starting', reason: `${plural(running, 'task')} running for ${desired} desired (stopping)` };
  return undefined;
}
