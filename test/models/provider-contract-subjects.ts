/**
 * The providers the contract suite (provider-contract.test.ts) runs against, each made the way a
 * user makes it and pointed at a scripted server: the OpenAI-compatible provider, the Anthropic
 * provider, and the AI SDK adapter over the real `@ai-sdk/openai-compatible` provider.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import OpenAI from 'openai';
import { createAnthropicModel, createOpenAIModel, fromAiSdk, type Model } from '../../src/index.ts';

/** What a case asks of a provider; every subject reads it the same way. */
export interface ModelSettings {
  /** The server's base URL as OpenAI clients take it (`http://127.0.0.1:<port>/v1`). */
  url: string;
  model: string;
  apiKey: string;
  stream?: boolean;
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

/** What a case needs to know of a provider besides how to make its model. */
export interface ProviderSubject {
  name: string;
  make(settings: ModelSettings): Model;
  /** Why the provider has no streaming option, if it has none. */
  noStreaming?: string;
  /**
   * The model made from a ready SDK client built from these settings (its own headers, key and
   * URL); absent where there is no client to hand over.
   */
  fromClient?(settings: ModelSettings): Model;
  /** Why there is no client to hand over, if there is none. */
  noClient?: string;
}

/** The Anthropic SDK takes the API's root; OpenAI clients take `/v1`. */
const rootOf = (url: string) => url.replace(/\/v1$/, '');

export const PROVIDERS: readonly ProviderSubject[] = [
  {
    name: 'OpenAI-compatible',
    make: ({ url, ...settings }) => createOpenAIModel({ ...settings, baseURL: url }),
    fromClient: ({ url, model, apiKey, headers }) =>
      createOpenAIModel({ model, client: new OpenAI({ baseURL: url, apiKey, maxRetries: 0, defaultHeaders: headers }) }),
  },
  {
    name: 'Anthropic',
    make: ({ url, stream, ...settings }) => {
      if (stream) throw new Error('the Anthropic provider has no streaming option');
      return createAnthropicModel({ ...settings, baseURL: rootOf(url) });
    },
    noStreaming: 'the Anthropic provider reads one JSON body',
    fromClient: ({ url, model, apiKey, headers }) =>
      createAnthropicModel({ model, client: new Anthropic({ baseURL: rootOf(url), apiKey, maxRetries: 0, defaultHeaders: headers }) }),
  },
  {
    name: 'AI SDK (openai-compatible)',
    make: ({ url, model, apiKey, stream, fetch, headers }) => {
      if (stream) throw new Error('fromAiSdk calls doGenerate, which does not stream');
      const provider = createOpenAICompatible({
        name: 'scripted',
        baseURL: url,
        apiKey,
        includeUsage: true,
        ...(fetch ? { fetch } : {}),
        ...(headers ? { headers } : {}),
      });
      return fromAiSdk(provider(model), (id) => provider(id));
    },
    noStreaming: 'fromAiSdk calls doGenerate, one request and one body',
    noClient: 'the AI SDK model handed to fromAiSdk is itself the ready client',
  },
];
