// The CLI as a process: signals, streams and the exit code around runCli (cli.ts).
import { runCli } from './cli.ts';
import { InterruptedError } from './errors.ts';

export async function runProcess(argv: string[]): Promise<void> {
  const controller = new AbortController();
  const started = Date.now();
  // The first signal interrupts the run. Before the decision is claimed, the read, wait or load test
  // in progress ends at once (a Locust engine first sends /stop, bounded at 5 s; headless Locust gets 5 s
  // to exit) and nothing is written; after the claim, the apply (or the put-back) runs to its end within
  // api.graceAfterSignal (25 s) of the signal, before Kubernetes' SIGKILL (run.ts). A second signal ends
  // the process at once.
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    // eslint-disable-next-line no-restricted-syntax -- the process shell: a second signal means now
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143);
    const after = `${((Date.now() - started) / 1000).toFixed(1)} s into the run`;
    controller.abort(new InterruptedError(signal, after));
  };
  const onInt = (): void => onSignal('SIGINT');
  const onTerm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.exitCode = await runCli({
    argv,
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    signal: controller.signal,
  });
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  // The answer is out. A call given up on (api.timeout, a signal) may leave its connection to a server that
  // never answers pending in the HTTP client (undici's own connect timeout, 10 s and more): do not wait for it.
  // eslint-disable-next-line no-restricted-syntax -- the process shell ends the process
  setTimeout(() => process.exit(), LINGER_MS).unref();
}

/** How long a finished command waits for the event loop to empty by itself before it ends anyway. */
const LINGER_MS = 500;
