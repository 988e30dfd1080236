/**
 * Which endpoint, key and models `rlm ask` uses, from flags and the environment. With no key
 * and no base URL it looks for a local OpenAI-compatible server (Ollama's port) before failing,
 * and the failure says what it tried and how to configure a model.
 */
import { RlmError } from '../errors.ts';
import { ANTHROPIC_BASE_URL } from '../models/anthropic.ts';
import type { Model } from '../models/model.ts';
import { OPENAI_BASE_URL } from '../models/openai.ts';

export const LOCAL_SERVER_URL = 'http://127.0.0.1:11434/v1';
const DEFAULT_OPENAI_MODEL = 'gpt-5';

/** The endpoint, key and models a command runs with, and how they were chosen. */
export interface EndpointConfig {
  baseURL: string;
  apiKey: string | undefined;
  model: string;
  subModel: string;
  /** How the endpoint was chosen: a flag, the environment, the provider's default, a local server. */
  source: 'flag' | 'env' | 'openai' | 'local';
  /** Set when no flag or variable named the root model: where the one used came from. */
  picked?: string;
}

/** What the user asked for: the flags' values, undefined where not given, and the environment. */
export interface ConfigInput {
  provider?: 'openai' | 'anthropic' | undefined;
  baseUrl?: string | undefined;
  model?: string | undefined;
  subModel?: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * The endpoint and models from flags, then the environment, then the provider's default; for
 * OpenAI-compatible endpoints with neither a key nor a URL, a local server (Ollama's port) if one
 * answers. Refuses in one line (RLM_MISSING_KEY, RLM_NO_MODEL) saying what it tried.
 */
export async function resolveEndpoint(input: ConfigInput): Promise<EndpointConfig> {
  if (input.provider === 'anthropic') return resolveAnthropic(input);
  const { env } = input;
  const apiKey = env.RLM_API_KEY || env.OPENAI_API_KEY || undefined;
  const model = input.model ?? (env.RLM_MODEL || undefined);
  const subModel = input.subModel ?? (env.RLM_SUB_MODEL || undefined);
  const explicit = input.baseUrl ?? (env.RLM_BASE_URL || env.OPENAI_BASE_URL || undefined);

  if (explicit) {
    const baseURL = explicit.replace(/\/+$/, '');
    if (!apiKey && baseURL === OPENAI_BASE_URL) {
      throw new RlmError('RLM_MISSING_KEY', `no API key for ${OPENAI_BASE_URL}: set OPENAI_API_KEY (or RLM_API_KEY)`);
    }
    const chosen = model ?? (isOpenAI(baseURL) ? DEFAULT_OPENAI_MODEL : await firstModel(baseURL, apiKey));
    const picked = model !== undefined ? undefined : isOpenAI(baseURL) ? 'the default on OpenAI' : `the first model ${baseURL} lists`;
    return {
      baseURL,
      apiKey,
      model: chosen,
      subModel: subModel ?? chosen,
      source: input.baseUrl ? 'flag' : 'env',
      ...(picked ? { picked } : {}),
    };
  }
  if (apiKey) {
    const chosen = model ?? DEFAULT_OPENAI_MODEL;
    return {
      baseURL: OPENAI_BASE_URL,
      apiKey,
      model: chosen,
      subModel: subModel ?? chosen,
      source: 'openai',
      ...(model === undefined ? { picked: 'the default on OpenAI' } : {}),
    };
  }

  const local = (env.RLM_LOCAL_URL || LOCAL_SERVER_URL).replace(/\/+$/, '');
  const probe = await listModels(local, undefined, 1500);
  if (!probe.ok) {
    throw new RlmError(
      'RLM_MISSING_KEY',
      `no model configured: OPENAI_API_KEY and RLM_API_KEY are not set, and no local server answered at ${local}/models (${probe.reason}); set OPENAI_API_KEY, or start Ollama, or pass --base-url <url> for your OpenAI-compatible server (try \`rlm demo\` to see rlm work without a model)`,
    );
  }
  const chosen = model ?? probe.models[0];
  if (!chosen)
    throw new RlmError('RLM_NO_MODEL', `the local server at ${local} lists no models; pull one (e.g. ollama pull qwen3) or pass --model`);
  return {
    baseURL: local,
    apiKey: undefined,
    model: chosen,
    subModel: subModel ?? chosen,
    source: 'local',
    ...(model === undefined ? { picked: `the first model of the local server at ${local}` } : {}),
  };
}

/**
 * Makes the models of a run by name, on the endpoint chosen and in the provider's wire format
 * (`rlm ask` and `rlm bench run` alike). Async: only the provider used is loaded.
 */
export async function modelMaker(
  provider: 'openai' | 'anthropic',
  endpoint: Pick<EndpointConfig, 'baseURL' | 'apiKey'>,
  options: { stream?: boolean } = {},
): Promise<(name: string) => Model> {
  if (provider === 'anthropic') {
    const { createAnthropicModel } = await import('../models/anthropic.ts');
    return (model) => createAnthropicModel({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey ?? '', model });
  }
  const { createOpenAIModel } = await import('../models/openai.ts');
  return (model) =>
    createOpenAIModel({ baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, model, ...(options.stream ? { stream: true } : {}) });
}

// The current Sonnet: one the SDK lists as deprecated makes it warn on every request.
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';

function resolveAnthropic(input: ConfigInput): EndpointConfig {
  const { env } = input;
  const explicit = input.baseUrl ?? (env.ANTHROPIC_BASE_URL || undefined);
  // RLM_API_KEY is for an endpoint of the user's choosing; Anthropic's own key is its own.
  const apiKey = (explicit ? env.RLM_API_KEY || env.ANTHROPIC_API_KEY : env.ANTHROPIC_API_KEY || env.RLM_API_KEY) || undefined;
  if (!apiKey && !explicit) throw new RlmError('RLM_MISSING_KEY', `no API key for ${ANTHROPIC_BASE_URL}: set ANTHROPIC_API_KEY`);
  const named = input.model ?? (env.RLM_MODEL || undefined);
  const model = named ?? DEFAULT_ANTHROPIC_MODEL;
  const subModel = input.subModel ?? (env.RLM_SUB_MODEL || model);
  const source = input.baseUrl ? 'flag' : explicit ? 'env' : 'openai';
  return {
    baseURL: (explicit ?? ANTHROPIC_BASE_URL).replace(/\/+$/, ''),
    apiKey,
    model,
    subModel,
    source,
    ...(named === undefined ? { picked: 'the default on Anthropic' } : {}),
  };
}

function isOpenAI(url: string): boolean {
  return url.startsWith(OPENAI_BASE_URL);
}

async function firstModel(baseURL: string, apiKey: string | undefined): Promise<string> {
  const listed = await listModels(baseURL, apiKey, 5000);
  const first = listed.ok ? listed.models[0] : undefined;
  if (!first) {
    const why = listed.ok ? 'it lists no models' : `GET ${baseURL}/models failed: ${listed.reason}`;
    throw new RlmError('RLM_NO_MODEL', `no --model given and none could be found at ${baseURL} (${why}); pass --model <name>`);
  }
  return first;
}

/**
 * A model name the endpoint does not list is refused before the run pays for a single turn (a
 * typo in --sub-model used to surface only at the first sub-call). An endpoint that cannot list
 * its models is taken at its word later, by the first request.
 */
export async function refuseUnlistedModels(endpoint: Pick<EndpointConfig, 'baseURL' | 'apiKey' | 'model' | 'subModel'>): Promise<void> {
  const listing = await listModels(endpoint.baseURL, endpoint.apiKey, 5000);
  if (!listing.ok || listing.models.length === 0) return;
  const listed = new Set(listing.models);
  // Ollama lists `qwen3:latest` and answers to `qwen3`.
  const isListed = (name: string) => listed.has(name) || (!name.includes(':') && listed.has(`${name}:latest`));
  for (const [flag, name] of [
    ['--model', endpoint.model],
    ['--sub-model', endpoint.subModel],
  ] as const) {
    if (isListed(name)) continue;
    const shown = listing.models.slice(0, 8).join(', ') + (listing.models.length > 8 ? `, and ${listing.models.length - 8} more` : '');
    throw new RlmError('RLM_MODEL_REJECTED', `${endpoint.baseURL} does not list the model "${name}" (${flag}); it lists: ${shown}`);
  }
}

type Listing = { ok: true; models: string[] } | { ok: false; reason: string };

async function listModels(baseURL: string, apiKey: string | undefined, timeoutMs: number): Promise<Listing> {
  try {
    const response = await fetch(`${baseURL}/models`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return { ok: false, reason: `HTTP ${response.status}` };
    const body = (await response.json()) as { data?: Array<{ id?: unknown }> };
    return { ok: true, models: (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string') };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    const name = (error as Error).name;
    return { ok: false, reason: cause ?? (name === 'TimeoutError' ? 'no answer' : (error as Error).message) };
  }
}
