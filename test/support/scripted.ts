/** A scripted model server for the length of one test body, with every request it was asked as the script saw it. */
import { startScriptedServer, type ScriptedReply, type ScriptedRequest } from '../../src/testing/index.ts';

export async function withScriptedServer<T>(
  script: (request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>,
  body: (url: string, seen: ScriptedRequest[]) => Promise<T>,
): Promise<T> {
  const seen: ScriptedRequest[] = [];
  const server = await startScriptedServer({ script: (request) => (seen.push(request), script(request)) });
  try {
    return await body(server.url, seen);
  } finally {
    await server.close();
  }
}
