/**
 * Preloaded into an `rlm ask` child (`node --import`): measures that process's own event loop, as
 * the suite does for its in-process runs, and writes the longest stall (ms) to $RLM_ATTACK_PROBE
 * when the process exits.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.RLM_ATTACK_PROBE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  process.on('exit', () => writeFileSync(file, String(histogram.max / 1e6)));
}
