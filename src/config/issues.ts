// The list of problems found in a configuration, shared by the schema check (validate.ts) and the
// rules between fields (rules.ts): its own module, so neither imports the other to reach it.
import type { FieldIssue } from '../errors.ts';

/** Collects problems with their field path, naming where a value came from (`from environment locustUsers`). */
export class Issues {
  readonly list: FieldIssue[] = [];
  private readonly origins: Map<string, string>;

  constructor(origins: Map<string, string> = new Map()) {
    this.origins = origins;
  }

  /** The path and where its value came from (`x (from environment locustFilePath)`), if not the file. */
  originOf(path: string): string | undefined {
    const origin = this.sourceOf(path);
    return origin ? `${path} (from ${origin})` : undefined;
  }

  /** Where a value came from (`environment locustFilePath`), if not the file. */
  sourceOf(path: string): string | undefined {
    return this.origins.get(path);
  }

  add(path: string, message: string): void {
    this.list.push({ path: this.originOf(path) ?? path, message });
  }
}
