/**
 * Entry point of the JavaScript REPL process. It holds the V8 isolate, so that nothing model
 * code does to V8 — some allocations abort the whole process instead of failing the isolate —
 * can take the run down with it.
 */
import { serveRepl } from './repl-server.ts';
import { IsolateRepl } from './isolate-repl.ts';

// The isolate reads the context file itself (and again if it is rebuilt), chunk by chunk.
serveRepl((options) => IsolateRepl.create(options));
