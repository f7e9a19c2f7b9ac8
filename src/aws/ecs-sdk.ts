// The one module that imports the ECS and Application Auto Scaling clients, loaded lazily by the
// target factory: runs that scale anything else never load them (cold start). Named imports keep
// them tree-shaken.
export { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
export {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { markLoaded } from '../loaded.ts';

markLoaded('aws sdk');
