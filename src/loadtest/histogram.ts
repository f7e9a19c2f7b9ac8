// Latency histogram in microseconds, HdrHistogram's log-linear layout: values below 2048 µs are
// exact; above, each power of two is split into 1024 linear buckets (relative error ≤ 0.1%).
// Fixed memory (one Uint32Array, ~94 KiB), whatever the run length. Mean, min and max are exact.
// Written here rather than taken from hdr-histogram-js, whose bundle adds ~140 KB (a WASM build).

const SUB = 1024; // linear buckets per power of two: 2^10 → 3 significant digits
const EXACT = 2 * SUB; // 0..2047 µs are counted exactly
const MAX_US = 2 ** 32; // ~71 minutes: longer is clamped (timeouts end requests long before)
const BUCKETS = EXACT + (32 - 11) * SUB;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = 0;

  /** Records one latency in milliseconds (fractional). */
  record(ms: number): void {
    const us = Math.min(MAX_US - 1, Math.max(0, Math.round(ms * 1000)));
    this.counts[indexOf(us)]!++;
    this.count++;
    this.sum += ms;
    if (ms < this.lo) this.lo = ms;
    if (ms > this.hi) this.hi = ms;
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) if (other.counts[i]) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.lo = Math.min(this.lo, other.lo);
    this.hi = Math.max(this.hi, other.hi);
  }

  get min(): number {
    return this.count ? this.lo : 0;
  }

  get max(): number {
    return this.hi;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  /** The value at percentile q (0–100) in ms, nearest rank, within the bucket's precision. */
  percentile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((q / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.hi, Math.max(this.lo, middleOf(i) / 1000));
    }
    return this.hi;
  }
}

function indexOf(us: number): number {
  if (us < EXACT) return us;
  const shift = 31 - Math.clz32(us) - 10; // us >> shift lands in [1024, 2047]
  return EXACT + (shift - 1) * SUB + ((us >>> shift) - SUB);
}

/** The middle of bucket i, in µs. */
function middleOf(i: number): number {
  if (i < EXACT) return i;
  const shift = Math.floor((i - EXACT) / SUB) + 1;
  const lower = (((i - EXACT) % SUB) + SUB) * 2 ** shift;
  return lower + (2 ** shift - 1) / 2;
}
