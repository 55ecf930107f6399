// The warning `context ls` and `context info` give when NATS_* variables replace what
// the context says (natscli: "Shell environment overrides in place").

import { overridingVariables } from "../../config/nats-context.js";
import type { CommandContext } from "../../context.js";

export function warnOverrides(ctx: CommandContext, contextName: string | undefined): void {
  const vars = overridingVariables();
  if (contextName === undefined || vars.length === 0) return;
  ctx.out.warn(`${vars.join(", ")} override the context "${contextName}"'s settings`);
}
