// The one module that imports the EC2 Auto Scaling client, loaded lazily by the target factory:
// runs that scale anything else never load it (cold start). Named imports keep it tree-shaken.
export {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribePoliciesCommand,
  SetDesiredCapacityCommand,
  type AutoScalingGroup,
  type InstanceRefresh,
} from '@aws-sdk/client-auto-scaling';
import { markLoaded } from '../loaded.ts';

markLoaded('aws sdk');
