/**
 * Address arithmetic the checks share (written here: Node has no prefix helper, and the addresses come from
 * untrusted log text, so anything that is not an IPv6 address in text form gives null).
 */

/** The /64 of an IPv6 address in any text form (`2001:db8:0:1::5` → `2001:db8:0:1::/64`), else null. */
export function ipv6Prefix64(text: string): string | null {
  if (!text.includes(':') || !/^[0-9a-f:]+$/i.test(text)) return null;
  const [head = '', tail = ''] = text.toLowerCase().split('::');
  const h = head ? head.split(':') : [];
  const t = text.includes('::') ? (tail ? tail.split(':') : []) : [];
  const words = text.includes('::')
    ? [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
    : h;
  if (words.length !== 8) return null;
  return `${words
    .slice(0, 4)
    .map((w) => Number.parseInt(w || '0', 16).toString(16))
    .join(':')}::/64`;
}
