/**
 * An rlm server in this process over a scripted model server, and the official `openai` client
 * pointed at it. The root model is `root` and the sub-model `sub`, so a script can tell them apart.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createOpenAIModel } from '../../src/index.ts';
import type { Corpus } from '../../src/inputs/corpus.ts';
import { ModelCatalog } from '../../src/server/catalog.ts';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/server/start-server.ts';
import { startScriptedServer, type Script, type ScriptedModelServer } from '../../src/testing/index.ts';

export interface ChatHarness {
  server: RunningServer;
  scripted: ScriptedModelServer;
  client: OpenAI;
  /** The server's base URL for the OpenAI API: `<url>/v1`. */
  baseURL: string;
}

export interface HarnessOptions extends Partial<Omit<StartServerOptions, 'catalog' | 'traceDir'>> {
  corpora?: Map<string, Corpus>;
  caps?: ConstructorParameters<typeof ModelCatalog>[0]['caps'];
  latencyMs?: number;
  /** The models the scripted server lists and answers to (default: any). */
  models?: readonly string[];
}

export async function withChatServer(
  script: Script,
  options: HarnessOptions,
  body: (harness: ChatHarness) => Promise<void>,
): Promise<void> {
  const scripted = await startScriptedServer({
    script,
    ...(options.latencyMs ? { latencyMs: options.latencyMs } : {}),
    ...(options.models ? { models: options.models } : {}),
  });
  const { corpora, caps, latencyMs: _latency, models: _models, ...serverOptions } = options;
  const catalog = new ModelCatalog({
    createModel: (model) => createOpenAIModel({ model, baseURL: scripted.url, apiKey: 'k' }),
    rootModel: 'root',
    subModel: 'sub',
    base: {},
    caps: caps ?? {},
    corpora: corpora ?? new Map(),
  });
  const server = await startServer({ catalog, traceDir: await mkdtemp(join(tmpdir(), 'rlm-serve-')), port: 0, ...serverOptions });
  const baseURL = `${server.url}/v1`;
  const client = new OpenAI({ baseURL, apiKey: options.token ?? 'no-token', maxRetries: 0 });
  try {
    await body({ server, scripted, client, baseURL });
  } finally {
    await server.close();
    await scripted.close();
  }
}

/** A promise to hold a scripted reply on, and the way to let it go. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Waits until `check` holds, looking every 10 ms. */
export async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 10));
}
