// A count as people read it, shared by the renderers and the few messages the NATS layer
// builds with a number in them.

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
