/** Test helpers for code built on rlm: a scripted OpenAI-compatible model server. */
export {
  startScriptedServer,
  ScriptedModelServer,
  type Script,
  type ScriptedAnswer,
  type ScriptedFailure,
  type ScriptedMessage,
  type ScriptedReply,
  type ScriptedRequest,
  type ScriptedServerOptions,
  type RecordedRequest,
  type Wire,
} from './scripted-server.ts';
export { byTurn, repl, turnIndex, type Turn } from './turns.ts';
