// The pure parts of the closed workload model, with the random source passed in.

/** Index of the item picked with probability weight / Σweights. */
export function pickWeighted(weights: readonly number[], random: () => number): number {
  let total = 0;
  for (const w of weights) total += w;
  let x = random() * total;
  for (let i = 0; i < weights.length; i++) if ((x -= weights[i]!) < 0) return i;
  return weights.length - 1;
}

/** Think time: constant, or uniform in [min, max], as Locust's constant / between. */
export function thinkTimeMs(wait: { min: number; max: number }, random: () => number): number {
  return wait.min + random() * (wait.max - wait.min);
}

/** When each user starts, in ms from the start: `spawnRate` users per second, the first at 0. */
export function spawnOffsets(users: number, spawnRate: number): number[] {
  return Array.from({ length: users }, (_, i) => (i * 1000) / spawnRate);
}
