// The one place that picks a state store. Cloud clients load lazily: a run that keeps its
// state in a file never pays for the Kubernetes client or the AWS SDK at start-up.
import { isAwsTarget, type ScalerConfig } from '../config/types.ts';
import { ScalerError } from '../errors.ts';
import { stateConfigMap, targetKey } from '../model/target-key.ts';
import { FileStateStore } from './file.ts';
import type { StateStore } from './types.ts';

export async function createStateStore(
  config: ScalerConfig,
  env: Record<string, string | undefined> = process.env,
): Promise<StateStore> {
  const key = targetKey(config.target);
  const state = config.state;
  const limits = { callTimeoutMs: config.api.timeout, deadlineMs: config.api.retryFor };
  switch (state.store) {
    case 'file':
      return new FileStateStore(state.path, key);
    case 'configmap': {
      if (isAwsTarget(config.target)) throw new ScalerError('state.store configmap needs a Kubernetes cluster');
      const [{ ConfigMapStateStore }, { kubeClients }] = await Promise.all([
        import('./configmap.ts'),
        import('../kube/client.ts'),
      ]);
      return new ConfigMapStateStore(
        { ...stateConfigMap(state, config.target), targetKey: key },
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
        requestTimeoutMs: config.api.timeout,
      });
    }
  }
}
