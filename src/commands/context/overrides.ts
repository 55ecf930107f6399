// The warning `context ls` and `context info` give when NATS_* variables replace what
// the context says (natscli: "Shell environment overrides in place").

import { overridingVariables } from "../../config/nats-context.js";
import type { Invocation } from "../../invocation.js";

export function warnOverrides(inv: Invocation, contextName: string | undefined): void {
  const vars = overridingVariables();
  if (contextName === undefined || vars.length === 0) return;
  inv.out.warn(`${vars.join(", ")} override the context "${contextName}"'s settings`);
}
