/**
 * Appends `items` to `to` one by one. `to.push(...items)` passes every item as an argument on the stack,
 * which throws "Maximum call stack size exceeded" past roughly a hundred thousand items.
 */
export function append<T>(to: T[], items: Iterable<T>): T[] {
  for (const item of items) to.push(item);
  return to;
}
