/** A context kept in a file, loaded (again, after a rebuild) without holding a copy on this side. */
export interface ContextFile {
  path: string;
  /** `text`: the file is the context string (UTF-8); `json`: the context as JSON. */
  format: 'text' | 'json';
}
