/** Where two JSON-like values differ, as `path: saved → wanted` lines. */
export function listDifferences(saved: unknown, wanted: unknown, path = ''): string[] {
  if (Object.is(saved, wanted)) return [];
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object';
  if (isObject(saved) && isObject(wanted) && Array.isArray(saved) === Array.isArray(wanted)) {
    const keys = [...new Set([...Object.keys(saved), ...Object.keys(wanted)])];
    return keys.flatMap((key) =>
      listDifferences(saved[key], wanted[key], path ? `${path}.${key}` : key),
    );
  }
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return [`${path || '(value)'}: ${show(saved)} → ${show(wanted)}`];
}
