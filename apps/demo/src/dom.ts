/** The page's element with this id; a missing one is a bug in index.html, so it throws. */
export function $<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from the page`);
  return node as T;
}

/** Runs an action of the page, showing its progress and errors (main.ts's `run`). */
export type Runner = (message: string, action: () => Promise<void>) => Promise<void>;
