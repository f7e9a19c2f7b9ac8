// `latency-scaler manifests --iam`: the least-privilege IAM policy for a fleet's AWS side, as the RBAC
// is for its Kubernetes side (manifests.ts): exactly the calls each target kind makes, the writes on
// the named resources only. The describe calls of ECS's scaling policies and of Auto Scaling groups
// support no resource-level permissions in IAM (the Service Authorization Reference lists no resource
// type for them), so those alone name "*". Pure, but for the printing at the end.
import { isAwsTarget, type AwsTargetRef, type ScalerConfig } from '../config/types.ts';

export interface IamOptions {
  /** The account the resources are in; "*" when not given. */
  account?: string | undefined;
  /** The region of targets that name none (the function's); "*" when not given. */
  region?: string | undefined;
}

export interface IamStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
}

export interface IamPolicy {
  Version: '2012-10-17';
  Statement: IamStatement[];
}

/** The calls each kind makes (src/target/ecs-service.ts, autoscaling-group.ts), named once for both places. */
export const CALLS = {
  ecsWrite: ['ecs:DescribeServices', 'ecs:UpdateService'],
  ecsRead: ['application-autoscaling:DescribeScalingPolicies'],
  groupWrite: ['autoscaling:SetDesiredCapacity'],
  groupRead: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeInstanceRefreshes',
    'autoscaling:DescribePolicies',
  ],
  state: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
} as const;

/** `aws`, `aws-cn` or `aws-us-gov`, from the region's name. */
function partitionOf(region: string): string {
  return region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
}

function arn(service: string, region: string, account: string, resource: string): string {
  return `arn:${partitionOf(region)}:${service}:${region}:${account}:${resource}`;
}

/** An ECS service's ARN; a cluster given as an ARN brings its own region and account. */
function ecsServiceArn(t: Extract<AwsTargetRef, { kind: 'ecs-service' }>, region: string, account: string): string {
  const m = /^arn:([^:]+):ecs:([^:]+):(\d{12}):cluster\/(.+)$/.exec(t.cluster);
  if (m) return `arn:${m[1]}:ecs:${m[2]}:${m[3]}:service/${m[4]}/${t.service}`;
  return arn('ecs', region, account, `service/${t.cluster}/${t.service}`);
}

/**
 * The policy for the fleet's AWS targets and DynamoDB state tables, or undefined when it has none.
 * Resources are sorted and deduplicated: the output depends only on what the fleet scales.
 */
export function fleetIamPolicy(configs: readonly ScalerConfig[], options: IamOptions = {}): IamPolicy | undefined {
  const account = options.account ?? '*';
  const services = new Set<string>();
  const groups = new Set<string>();
  const tables = new Set<string>();
  for (const config of configs) {
    const t = config.target;
    const region = (isAwsTarget(t) ? t.region : undefined) ?? options.region ?? '*';
    if (isAwsTarget(t) && t.kind === 'ecs-service') services.add(ecsServiceArn(t, region, account));
    if (isAwsTarget(t) && t.kind === 'autoscaling-group')
      groups.add(arn('autoscaling', region, account, `autoScalingGroup:*:autoScalingGroupName/${t.name}`));
    if (config.state.store === 'dynamodb') {
      const at = config.state.region ?? options.region ?? '*';
      tables.add(arn('dynamodb', at, account, `table/${config.state.table}`));
    }
  }
  const statements: IamStatement[] = [];
  const allow = (Sid: string, Action: readonly string[], Resource: string | Set<string>): void => {
    statements.push({
      Sid,
      Effect: 'Allow',
      Action: [...Action],
      Resource: typeof Resource === 'string' ? Resource : [...Resource].sort(),
    });
  };
  if (services.size > 0) {
    allow('ScaleTheseEcsServices', CALLS.ecsWrite, services);
    allow('ReadEcsScalingPoliciesNoResourceLevelPermissions', CALLS.ecsRead, '*');
  }
  if (groups.size > 0) {
    allow('ScaleTheseAutoScalingGroups', CALLS.groupWrite, groups);
    allow('ReadAutoScalingGroupsNoResourceLevelPermissions', CALLS.groupRead, '*');
  }
  if (tables.size > 0) allow('StateItemsOnly', CALLS.state, tables);
  return statements.length > 0 ? { Version: '2012-10-17', Statement: statements } : undefined;
}
