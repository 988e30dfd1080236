/**
 * `rlm/bench`: the benchmark as a library. The same runner, methods, report and chart as
 * `rlm bench run`, for code that drives a bench itself (its own task list, its own models).
 *
 * @example
 * const summary = await runBenchmark({ tasks, methods: ['rlm', 'direct'], setup: { model }, resultsPath: 'results.jsonl' });
 * writeFileSync('report.md', markdownReport(summary.rows));
 */
export {
  runBenchmark,
  readResults,
  latestResults,
  refuseUnpricedBenchLimit,
  type BenchOptions,
  type BenchRow,
  type BenchSummary,
} from './runner.ts';
export { runMethod, METHODS, type MethodName, type MethodOutcome, type MethodSetup } from './methods.ts';
export { methodSettings, checkResumable, type MethodSettings } from './settings.ts';
export { markdownReport, groupStats, seriesOf, compactTokens, type GroupStats } from './report.ts';
export { scoreChart, chartPoints, type ChartPoint } from './chart.ts';
export { estimateBench, type BenchEstimate } from './estimate.ts';
export { rankPassages, RETRIEVAL_DEFAULTS } from './retrieval.ts';
export { chunkText, type TextChunk } from './chunks.ts';
export { remoteRuns, workerModel, type ExecuteRun, type BenchJobQueue } from '../distributed/remote-runs.ts';
export { benchJob, parseBenchJob, type BenchJob, type BenchJobSetup } from '../distributed/bench-job.ts';
