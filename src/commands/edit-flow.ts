// What `stream edit` and `consumer edit` share, after each has worked out its changes:
// "no difference" (exit 0), --dry-run (the list on stdout, exit 1 when it differs:
// natscli's drift check), else the list in a confirmation, then the change applied.

import { confirmOrRefuse } from "../confirm.js";
import { CliError, ExitCode } from "../errors.js";
import type { ConfigChange } from "../domain/config-change.js";
import type { Output } from "../output/output.js";
import { renderConfigChanges } from "../output/streams.js";

export interface EditPlan<T> {
  /** "Stream S", "Consumer C": the start of every line said */
  subject: string;
  /** "edit stream S", for the refusal without a terminal */
  action: string;
  changes: ConfigChange[];
  /** the dry run's --json, without its `differs` and `changes` */
  names: Record<string, string>;
  /** what --json prints when nothing differs (and this is no dry run) */
  current: T;
  /** applies the changes; returns what --json prints (with `changes` added) */
  apply(): Promise<T>;
}

export async function runEdit<T extends object>(
  out: Output,
  plan: EditPlan<T>,
  opts: { force?: boolean; dryRun?: boolean },
): Promise<void> {
  const { changes, subject } = plan;
  if (changes.length === 0) {
    if (out.json)
      return out.printJson(
        opts.dryRun ? { ...plan.names, differs: false, changes } : { ...plan.current, changes },
      );
    return out.result(`${subject}: no difference; nothing changed`);
  }
  const list = renderConfigChanges(changes);
  if (opts.dryRun) {
    if (out.json) await out.printJson({ ...plan.names, differs: true, changes });
    else await out.result(`${subject} differs (dry run, nothing changed):\n${list}`);
    throw new CliError("differences", ExitCode.Differences, { reported: true });
  }
  const ok = await confirmOrRefuse(
    plan.action,
    `${subject} will change:\n${list}\nApply these changes?`,
    opts.force,
  );
  if (!ok) {
    out.info("Cancelled; nothing was changed");
    return;
  }
  const updated = await plan.apply();
  if (out.json) return out.printJson({ ...updated, changes });
  await out.result(`${out.color.green(`${subject} updated`)}:\n${list}`);
}
