/** What a tool answers: content for the agent to read, and the same facts as structured data. */

/** A tool's result, as `tools/call` carries it. */
export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** A tool error: one message the agent can act on, never a crash of the server. */
export function toolError(message: string, facts: Record<string, unknown> = {}): ToolResult {
  return { isError: true, content: [{ type: 'text', text: `rlm: ${message}` }], structuredContent: { error: message, ...facts } };
}
