// The one place that picks a state store. Cloud clients load lazily: a run that keeps its
// state in a file never pays for the Kubernetes client or the AWS SDK at start-up.
import { isAwsTarget, type ScalerConfig } from '../config/types.ts';
import { ScalerError } from '../errors.ts';
import {
  defaultStatePath,
  earlierDefaultStatePath,
  earlierTargetKey,
  stateConfigMap,
  targetKey,
} from '../model/target-key.ts';
import { FileStateStore } from './file.ts';
import type { StateStore } from './types.ts';

export async function createStateStore(
  config: ScalerConfig,
  env: Record<string, string | undefined> = process.env,
): Promise<StateStore> {
  const key = targetKey(config.target);
  // A record written under the key earlier versions gave the target is found, and moved on the next write.
  const earlierKey = earlierTargetKey(config.target);
  const state = config.state;
  const limits = { callTimeoutMs: config.api.timeout, deadlineMs: config.api.retryFor };
  switch (state.store) {
    case 'file': {
      // The default path follows the key: the earlier one's file is read where this one has none.
      const path = state.path === defaultStatePath(config.target) ? earlierDefaultStatePath(config.target) : undefined;
      return new FileStateStore(state.path, key, undefined, { key: earlierKey, path });
    }
    case 'configmap': {
      if (isAwsTarget(config.target)) throw new ScalerError('state.store configmap needs a Kubernetes cluster');
      const [{ ConfigMapStateStore }, { kubeClients }] = await Promise.all([
        import('./configmap.ts'),
        import('../kube/client.ts'),
      ]);
      return new ConfigMapStateStore(
        { ...stateConfigMap(state, config.target), targetKey: key, earlierKey },
        await kubeClients(env),
        limits,
      );
    }
    case 'dynamodb': {
      const { DynamoDbStateStore } = await import('./dynamodb.ts');
      return new DynamoDbStateStore({
        table: state.table,
        region: state.region,
        endpoint: state.endpoint,
        targetKey: key,
        earlierKey,
        requestTimeoutMs: config.api.timeout,
      });
    }
  }
}
