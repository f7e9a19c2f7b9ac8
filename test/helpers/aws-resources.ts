// The AWS resources the tests scale, made through the SDK against moto as an operator would make them:
// an ECS cluster with a task definition and a service; an EC2 launch template and an Auto Scaling group
// launching it; their scaling policies and tags. Plus what moto lacks: instance refreshes (moto 5.2
// implements neither StartInstanceRefresh nor DescribeInstanceRefreshes, and answers 500), answered
// by the fault proxy in AWS's own XML for that one call.
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type Tag,
} from '@aws-sdk/client-ecs';
import {
  ApplicationAutoScalingClient,
  PutScalingPolicyCommand as PutEcsScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateOrUpdateTagsCommand,
  DescribeAutoScalingGroupsCommand,
  EnterStandbyCommand,
  PutScalingPolicyCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, EC2Client } from '@aws-sdk/client-ec2';
import { answers, type FaultProxy } from '../harness/faults.ts';

const region = 'eu-west-1';

export class EcsFixture {
  readonly ecs: ECSClient;
  readonly scaling: ApplicationAutoScalingClient;
  constructor(endpoint: string) {
    this.ecs = new ECSClient({ endpoint, region });
    this.scaling = new ApplicationAutoScalingClient({ endpoint, region });
  }

  /**
   * A cluster and a service of `desired` tasks. Created by moto with MOTO_ECS_SERVICE_RUNNING tasks
   * running (the harness sets 3): a service of more than that is created mid-deployment; one of at
   * most that is brought to exactly `desired` running by an UpdateService, as ECS would settle it.
   */
  async service(cluster: string, service: string, desired: number, tags: Tag[] = []): Promise<string> {
    await this.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const image = { name: 'web', image: 'public.ecr.aws/nginx/nginx:1', memory: 128 };
    const family = `${cluster}-${service}`; // task definitions are the account's, not the cluster's
    await this.ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [image] }));
    const created = await this.ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: service,
        taskDefinition: family,
        desiredCount: desired,
        ...(tags.length ? { tags } : {}),
      }),
    );
    if (desired <= 3) await this.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: desired }));
    return created.service!.serviceArn!;
  }

  async desired(cluster: string, service: string): Promise<number> {
    const out = await this.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
    return out.services![0]!.desiredCount!;
  }

  async setDesired(cluster: string, service: string, desired: number): Promise<void> {
    await this.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: desired }));
  }

  async tag(arn: string, key: string, value: string): Promise<void> {
    await this.ecs.send(new TagResourceCommand({ resourceArn: arn, tags: [{ key, value }] }));
  }

  /** Target tracking on CPU, as the console offers it: another autoscaler of the service. */
  async cpuPolicy(cluster: string, service: string): Promise<void> {
    const target = {
      ServiceNamespace: 'ecs' as const,
      ResourceId: `service/${cluster}/${service}`,
      ScalableDimension: 'ecs:service:DesiredCount' as const,
    };
    await this.scaling.send(new RegisterScalableTargetCommand({ ...target, MinCapacity: 1, MaxCapacity: 10 }));
    await this.scaling.send(
      new PutEcsScalingPolicyCommand({
        ...target,
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        },
      }),
    );
  }
}

export class GroupFixture {
  readonly autoscaling: AutoScalingClient;
  readonly ec2: EC2Client;
  constructor(endpoint: string) {
    this.autoscaling = new AutoScalingClient({ endpoint, region });
    this.ec2 = new EC2Client({ endpoint, region });
  }

  /** A launch template and a group launching it, with `desired` instances (moto runs them InService at once). */
  async group(name: string, o: { min: number; max: number; desired: number }): Promise<void> {
    const template = await this.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `${name}-lt`,
        LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro' },
      }),
    );
    await this.autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchTemplate: { LaunchTemplateId: template.LaunchTemplate!.LaunchTemplateId!, Version: '$Latest' },
        MinSize: o.min,
        MaxSize: o.max,
        DesiredCapacity: o.desired,
        AvailabilityZones: [`${region}a`],
      }),
    );
  }

  async desired(name: string): Promise<number> {
    const out = await this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    return out.AutoScalingGroups![0]!.DesiredCapacity!;
  }

  async setDesired(name: string, desired: number): Promise<void> {
    await this.autoscaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: desired }),
    );
  }

  async tag(name: string, key: string, value: string): Promise<void> {
    const tag = {
      ResourceId: name,
      ResourceType: 'auto-scaling-group',
      Key: key,
      Value: value,
      PropagateAtLaunch: false,
    };
    await this.autoscaling.send(new CreateOrUpdateTagsCommand({ Tags: [tag] }));
  }

  async cpuPolicy(name: string): Promise<void> {
    await this.autoscaling.send(
      new PutScalingPolicyCommand({
        AutoScalingGroupName: name,
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
        },
      }),
    );
  }

  /** Puts one InService instance on standby, the desired capacity kept: the group is not all InService. */
  async standbyOne(name: string): Promise<void> {
    const out = await this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    const id = out.AutoScalingGroups![0]!.Instances![0]!.InstanceId!;
    await this.autoscaling.send(
      new EnterStandbyCommand({ AutoScalingGroupName: name, InstanceIds: [id], ShouldDecrementDesiredCapacity: false }),
    );
  }
}

export interface Refresh {
  id: string;
  group: string;
  status: string;
  percent?: number;
}

/**
 * The proxy answers DescribeInstanceRefreshes (moto lacks it) with these refreshes, as AWS would;
 * every other call goes through to moto. Added first, so a test's own faults come after it.
 */
export function answerInstanceRefreshes(proxy: FaultProxy, refreshes: Refresh[] = []): void {
  const members = refreshes
    .map((r) => {
      const percent = r.percent !== undefined ? `<PercentageComplete>${r.percent}</PercentageComplete>` : '';
      const id = `<InstanceRefreshId>${r.id}</InstanceRefreshId>`;
      const ids = `${id}<AutoScalingGroupName>${r.group}</AutoScalingGroupName>`;
      return `<member>${ids}<Status>${r.status}</Status>${percent}</member>`;
    })
    .join('');
  proxy.inject({
    method: 'POST',
    body: (text) => text.includes('Action=DescribeInstanceRefreshes'),
    times: Infinity,
    fault: answers.awsQueryResult('DescribeInstanceRefreshes', `<InstanceRefreshes>${members}</InstanceRefreshes>`),
  });
}
