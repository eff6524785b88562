/** The confirmation before a command deletes or replaces data: typing the stack name, or --yes in scripts. */
import type { OpsContext } from "./context";
import { note } from "./context";
import { OpsError, UsageError } from "./errors";

export async function confirm(ctx: OpsContext, warning: string, stack: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!ctx.interactive) throw new UsageError(`${warning} Nothing was changed: pass --yes to confirm without a prompt.`);
  note(ctx, warning);
  // Ctrl-C at the prompt ends the command there: nothing has been changed yet.
  const answer = await ctx.interrupt.race(ctx.ask(`Type the stack name (${stack}) to continue, anything else cancels: `));
  if (answer.trim() !== stack) throw new OpsError("cancelled: nothing was changed");
}
