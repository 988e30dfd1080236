/** `rlm ask`: answer a query over a long context. Answer on stdout, progress on stderr. */
import { RLM, type RunResult } from '../rlm.ts';
import { ASK_HELP, parseAskArgs } from './args.ts';
import { EXIT } from './exit-codes.ts';
import type { CliIO } from './io.ts';
import { report } from './run-report.ts';
import { setUpRun } from './run-setup.ts';
import { runWithSurfaces } from './run-surfaces.ts';

export async function ask(argv: string[], io: CliIO): Promise<number> {
  const args = parseAskArgs(argv);
  if (args.help) {
    io.stdout.write(`${ASK_HELP}\n`);
    return EXIT.answer;
  }
  const setup = await setUpRun(args, io);
  const { context, resumed, schema, tracePath } = setup;
  const result = await runWithSurfaces(
    { ...args, trace: tracePath, priceTable: setup.prices },
    io,
    setup.traced,
    async (onEvent, signal) => {
      const rlm = new RLM({ ...setup.options, onEvent });
      try {
        if (resumed)
          return await rlm.resume(resumed.trace, { signal, ...(context === undefined ? {} : { context }), ...(schema ? { schema } : {}) });
        return await rlm.run({ context: context!, query: args.query, signal, schema });
      } finally {
        setup.close();
      }
    },
  );
  const code = report(result, args, io);
  if (result.answer === undefined && tracePath && canGoOn(result))
    io.stderr.write(`rlm: to go on from where it stopped: rlm ask --resume ${tracePath} (with higher limits if one stopped it)\n`);
  return code;
}

/** Whether a resume could get further: a stop from outside (a limit, Ctrl-C, the provider), not the run's own end. */
function canGoOn(result: RunResult): boolean {
  if (result.status === 'budget' || result.status === 'timeout' || result.status === 'cancelled') return true;
  const code = result.error?.code;
  return (
    result.status === 'error' &&
    (code === 'RLM_PROVIDER' || code === 'RLM_ENDPOINT_UNREACHABLE' || code === 'RLM_AUTH' || code === 'RLM_SANDBOX')
  );
}
