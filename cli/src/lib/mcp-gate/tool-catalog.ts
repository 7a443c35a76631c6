/**
 * What the gate knows about the upstream's tools: the annotations of every tool seen in a
 * tools/list result. A tool the gate never saw listed has no hints, and the policy asks for it.
 * `notifications/tools/list_changed` empties it, so hints never outlive the list they came from.
 */
export class ToolCatalog {
  #tools = new Map<string, { readOnlyHint: boolean | undefined }>();
  #complete = false;

  /** True once a whole listing (every page) was seen since the last change. */
  get complete(): boolean {
    return this.#complete;
  }

  /** One page of a tools/list result; `last` when it had no nextCursor. */
  learn(result: unknown, last: boolean): void {
    const tools = typeof result === "object" && result !== null ? (result as { tools?: unknown }).tools : undefined;
    if (!Array.isArray(tools)) return;
    for (const tool of tools) {
      if (typeof tool !== "object" || tool === null) continue;
      const { name, annotations } = tool as { name?: unknown; annotations?: unknown };
      if (typeof name !== "string") continue;
      const hint =
        typeof annotations === "object" && annotations !== null ? (annotations as { readOnlyHint?: unknown }).readOnlyHint : undefined;
      // Only a literal boolean counts: "true" or 1 is no hint at all.
      this.#tools.set(name, { readOnlyHint: typeof hint === "boolean" ? hint : undefined });
    }
    if (last) this.#complete = true;
  }

  /** A listing was tried and is over, whatever it returned: do not list again until a change. */
  settle(): void {
    this.#complete = true;
  }

  forget(): void {
    this.#tools.clear();
    this.#complete = false;
  }

  readOnlyHint(tool: string): boolean | undefined {
    return this.#tools.get(tool)?.readOnlyHint;
  }
}
