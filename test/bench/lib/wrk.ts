// wrk's human units (src/units.c: "us", "ms", "s", "m", "h" for times) → milliseconds. A unit it does
// not know is an error naming the text, never a crash after the tables (or a silent NaN).
const TIME_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`wrk printed a latency of ${JSON.stringify(text)}: expected a number and us, ms, s, m or h`);
  return Number(m[1]) * TIME_UNITS_MS[m[2]!]!;
}

/** `Latency 20.45ms …` and `99% 41.00ms` of `wrk --latency`'s report. */
export function wrkReport(out: string): { requests: number; mean: number; p99: number } {
  const field = (re: RegExp, what: string): string => {
    const m = re.exec(out);
    if (!m) throw new Error(`wrk's report has no ${what}: ${out.slice(0, 400)}`);
    return m[1]!;
  };
  return {
    requests: Number(field(/(\d+) requests in/, 'request count')),
    mean: wrkMs(field(/Latency\s+(\S+)/, 'mean latency')),
    p99: wrkMs(field(/99%\s+(\S+)/, '99th percentile')),
  };
}
