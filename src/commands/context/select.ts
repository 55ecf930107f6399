// `context select <name>`, `context unselect` and `context rm <name>`: natscli's
// nats/context.txt, and removing a context file (asks on a terminal, else --force).

import { Command } from "commander";
import { removeContext, selectContext, unselectContext } from "../../config/context-store.js";
import {
  checkContextName,
  contextExists,
  listContextNames,
  selectedContextName,
  unknownContext,
} from "../../config/nats-context.js";
import { confirmOrRefuse } from "../../confirm.js";
import { invocationOf } from "../../invocation.js";
import { usageError } from "../../errors.js";
import { addLeafOptions } from "../../global-options.js";
import { examples } from "../help.js";
import { showWritten } from "./add.js";

export const contextSelectCommand = addLeafOptions(
  new Command("select")
    .aliases(["switch", "set"])
    .description("make a context the one every command uses (nats/context.txt)")
    .argument("[name]", "context name")
    .addHelpText("after", examples("tweetstream context select prod"))
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const inv = invocationOf(cmd, { useContext: false });
      if (name === undefined) {
        const known = listContextNames();
        throw usageError(
          known.length > 0
            ? `name the context to select, one of: ${known.join(", ")}`
            : "no context defined (create one with: tweetstream context add NAME)",
        );
      }
      checkContextName(name);
      selectContext(name);
      await showWritten(inv, name);
    }),
);

export const contextUnselectCommand = addLeafOptions(
  new Command("unselect")
    .description("select no context: commands use their flags and NATS_* only")
    .addHelpText("after", examples("tweetstream context unselect"))
    .action(async (_opts: unknown, cmd: Command) => {
      const inv = invocationOf(cmd, { useContext: false });
      const before = unselectContext();
      if (inv.out.json) return inv.out.printJson({ unselected: before ?? null });
      await inv.out.result(
        before === undefined
          ? "No context currently selected"
          : `Unselected the "${before}" context`,
      );
    }),
);

export const contextRmCommand = addLeafOptions(
  new Command("rm")
    .alias("remove")
    .description("remove a context file (the selected one only with --force)")
    .argument("<name>", "context name")
    .option("-f, --force", "do not ask; required when there is no terminal")
    .addHelpText("after", examples("tweetstream context rm old --force"))
    .action(async (name: string, opts: { force?: boolean }, cmd: Command) => {
      const inv = invocationOf(cmd, { useContext: false });
      checkContextName(name);
      if (!contextExists(name)) throw unknownContext(name);
      if (selectedContextName() === name && !opts.force)
        throw usageError(
          `"${name}" is the selected context: select another one, run context unselect, or pass --force`,
        );
      const ok = await confirmOrRefuse(
        `remove context ${name}`,
        `Remove context "${name}"?`,
        opts.force,
      );
      if (!ok) {
        inv.out.info("Cancelled; nothing was removed");
        return;
      }
      removeContext(name);
      if (inv.out.json) return inv.out.printJson({ context: name, removed: true });
      await inv.out.result(`Removed context "${name}"`);
    }),
);
