// The one place that picks a scale target implementation.
import { isHttpTarget, type ScalerConfig } from '../config/types.ts';
import { ScalerError } from '../errors.ts';
import { HttpScaleTarget } from './http.ts';
import type { ScaleTarget } from './types.ts';

export async function createScaleTarget(config: ScalerConfig): Promise<ScaleTarget> {
  if (isHttpTarget(config.target)) return new HttpScaleTarget(config.target);
  throw new ScalerError(`target kind ${config.target.kind} (Kubernetes) is not available in this build yet`);
}
