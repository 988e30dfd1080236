/**
 * Entry point of the Python REPL process. CPython boots in a worker as soon as the process
 * starts, before any context exists, so a process kept warm is ready the moment a run needs one.
 */
import { serveRepl } from '../repl-server.ts';
import { bootWorker, PyodideRepl } from './pyodide-repl.ts';

const warm = bootWorker();
// A failed boot is reported when the context arrives, through create().
warm.catch(() => undefined);
serveRepl((options) => PyodideRepl.create(options, warm));
